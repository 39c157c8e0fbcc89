"""The server's side of the contract, generated: typed interfaces for every HTTP
operation and Socket.IO event, and the binders that serve an implementation of them."""
