"""Who is connected: the sockets of each user, shared by every process of the service."""
