// The /demo chat page: the generated TypeScript client in a browser, nothing more.
// Log in or register, start a group, open a conversation, and see messages, typing and
// read receipts arrive; edit or delete your messages (the owner deletes any), pin any
// message, react to one, reply to one (the quote follows its edits), mention
// participants with @username (a badge counts your unread mentions), and see everyone's
// edits, deletions, reactions and pins as they happen. All text goes in through textContent, never as HTML.
import {
  connect,
  connected,
  createHttpClient,
  isAckError,
  type ChatSocket,
  type Conversation,
  type HttpClient,
  type Message,
  type MessageReactions,
  type PinList,
  type Problem,
  type Reaction,
} from "@conversations/client";

const origin = window.location.origin;
const TYPING_RESEND_MS = 3000;
// As the contract's QuotedMessage says: the first 100 characters (code points).
const QUOTE_PREVIEW_LENGTH = 100;
const QUICK_REACTIONS = ["👍", "❤️", "🎉"];

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from demo.html`);
  return found as T;
}

const status = element<HTMLParagraphElement>("status");
const conversationsNav = element<HTMLElement>("conversations");
const messagesList = element<HTMLUListElement>("messages");
const typingLine = element<HTMLParagraphElement>("typing");
const receiptLine = element<HTMLParagraphElement>("receipt");
const pinsList = element<HTMLUListElement>("pins");

interface Session {
  http: HttpClient;
  socket: ChatSocket;
  userId: number;
  conversations: Map<number, Conversation>;
  open: number | null;
  names: Map<number, string>;
  lastTypingSent: number;
  // The message the compose box edits, if any.
  editing: number | null;
  // The message the compose box answers, if any.
  replyingTo: Message | null;
  // Unread mentions per conversation, as the service last counted them.
  mentions: Map<number, number>;
  // The open conversation's reactions by message id, as this user sees them.
  reactions: Map<number, Reaction[]>;
}

let session: Session | null = null;

function say(text: string): void {
  status.textContent = text;
}

function problemText(problem: Problem | undefined): string {
  return problem ? problem.detail ?? problem.title : "the service did not answer";
}

function titleOf(conversation: Conversation): string {
  if (conversation.title) return conversation.title;
  const others = conversation.participants.filter((p) => p.id !== session?.userId);
  return others.map((p) => p.display_name).join(", ") || "Note to self";
}

function renderConversations(): void {
  if (!session) return;
  const sorted = [...session.conversations.values()].sort((a, b) =>
    b.updated_at.localeCompare(a.updated_at),
  );
  conversationsNav.replaceChildren(
    ...sorted.map((conversation) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = titleOf(conversation);
      const mentions = session?.mentions.get(conversation.id) ?? 0;
      if (mentions > 0) {
        const badge = document.createElement("span");
        badge.className = "mention-badge";
        badge.textContent = ` @${mentions}`;
        button.append(badge);
      }
      button.dataset.conversationId = String(conversation.id);
      button.setAttribute("aria-current", String(conversation.id === session?.open));
      button.addEventListener("click", () => void open(conversation.id));
      return button;
    }),
  );
}

function remember(conversation: Conversation): void {
  if (!session) return;
  session.conversations.set(conversation.id, conversation);
  for (const participant of conversation.participants) {
    session.names.set(participant.id, participant.display_name);
  }
  renderConversations();
}

function quoteText(quote: NonNullable<Message["reply_to"]>): string {
  return quote.deleted ? "Message deleted" : `${quote.sender.display_name}: ${quote.preview}`;
}

function messageItem(message: Message): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset.messageId = String(message.id);
  if (message.reply_to) {
    const quote = document.createElement("blockquote");
    quote.className = "quote";
    quote.dataset.quotedId = String(message.reply_to.id);
    quote.textContent = quoteText(message.reply_to);
    item.append(quote);
  }
  if (session && message.mentions?.includes(session.userId)) item.classList.add("mentions-me");
  const sender = document.createElement("span");
  sender.className = "sender";
  sender.textContent = message.sender.display_name;
  const body = document.createElement("span");
  body.className = "body";
  item.append(sender, body);
  if (message.deleted_at) {
    item.classList.add("deleted");
    body.textContent = "Message deleted";
    return item;
  }
  body.textContent = message.body;
  if (message.edited_at) {
    // "(edited)" opens the edit history: every version, oldest first.
    const edited = action(" (edited)", () => void showHistory(message));
    edited.className = "edited";
    item.append(edited);
  }
  const mine = message.sender.id === session?.userId;
  const owner = session?.conversations.get(message.conversation_id)?.owner_id === session?.userId;
  if (mine) item.append(action("Edit", () => startEditing(message)));
  if (mine || owner) item.append(action("Delete", () => void remove(message)));
  item.append(action("Pin", () => void pin(message, "PUT")));
  item.append(action("Reply", () => startReplying(message)));
  for (const emoji of QUICK_REACTIONS) {
    item.append(action(`React ${emoji}`, () => void react(message.conversation_id, message.id, emoji, true)));
  }
  const reactions = document.createElement("span");
  reactions.className = "reactions";
  item.append(reactions);
  renderReactions(message.id, item);
  return item;
}

// Each reaction a toggle showing its count; pressed when it is yours.
function renderReactions(messageId: number, item?: Element | null): void {
  const holder = (item ?? messagesList.querySelector(`[data-message-id="${messageId}"]`))?.querySelector(
    ".reactions",
  );
  if (!holder || !session) return;
  const conversationId = session.open ?? 0;
  holder.replaceChildren(
    ...(session.reactions.get(messageId) ?? []).map((reaction) => {
      const toggle = action(`${reaction.emoji} ${reaction.count}`, () =>
        void react(conversationId, messageId, reaction.emoji, !reaction.reacted),
      );
      toggle.className = "reaction";
      toggle.setAttribute("aria-pressed", String(reaction.reacted));
      return toggle;
    }),
  );
}

function showReactions(found: MessageReactions): void {
  if (found.conversation_id !== session?.open) return;
  session.reactions.set(found.message_id, found.reactions);
  renderReactions(found.message_id);
}

async function react(conversationId: number, messageId: number, emoji: string, add: boolean): Promise<void> {
  if (!session) return;
  const params = { path: { conversation_id: conversationId, message_id: messageId, emoji } };
  const path = "/conversations/{conversation_id}/messages/{message_id}/reactions/{emoji}";
  const answer = add ? await session.http.PUT(path, { params }) : await session.http.DELETE(path, { params });
  if (answer.data) showReactions(answer.data);
  else say(problemText(answer.error));
}

function action(label: string, run: () => void): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.addEventListener("click", run);
  return button;
}

function showMessage(message: Message): void {
  if (messagesList.querySelector(`[data-message-id="${message.id}"]`)) return;
  const item = messageItem(message);
  messagesList.append(item);
  item.scrollIntoView({ block: "end" });
}

// An edited or deleted message takes the place of the one shown, never a new one, and
// the replies quoting it show it as it now stands.
function replaceMessage(message: Message): void {
  messagesList.querySelector(`[data-message-id="${message.id}"]`)?.replaceWith(messageItem(message));
  const deleted = Boolean(message.deleted_at);
  const preview = deleted ? "" : [...message.body].slice(0, QUOTE_PREVIEW_LENGTH).join("");
  for (const quote of messagesList.querySelectorAll<HTMLElement>(`[data-quoted-id="${message.id}"]`)) {
    quote.textContent = quoteText({ id: message.id, sender: message.sender, preview, deleted });
  }
}

async function showHistory(message: Message): Promise<void> {
  if (!session) return;
  const history = await session.http.GET("/conversations/{conversation_id}/messages/{message_id}/history", {
    params: { path: { conversation_id: message.conversation_id, message_id: message.id } },
  });
  if (!history.data) return say(problemText(history.error));
  say(`History: ${history.data.versions.map((version) => version.body).join(" → ")}`);
}

function startReplying(message: Message): void {
  if (!session) return;
  session.replyingTo = message;
  session.editing = null;
  (element<HTMLFormElement>("compose").elements.namedItem("body") as HTMLInputElement).focus();
  say(`Replying to ${message.sender.display_name}.`);
}

// Mentions are structured: the page turns each @username of a participant into an id.
function mentionsIn(body: string, conversation: Conversation | undefined): number[] {
  const named = new Set([...body.matchAll(/@([A-Za-z0-9_.-]+)/g)].map((match) => match[1]));
  return (conversation?.participants ?? []).filter((p) => named.has(p.username)).map((p) => p.id);
}

function setMentions(conversationId: number, count: number): void {
  session?.mentions.set(conversationId, count);
  renderConversations();
}

function startEditing(message: Message): void {
  if (!session) return;
  session.editing = message.id;
  session.replyingTo = null;
  const input = element<HTMLFormElement>("compose").elements.namedItem("body") as HTMLInputElement;
  input.value = message.body;
  input.focus();
  say("Editing your message: send to save it.");
}

// The whole list comes with every change: replace what is shown.
function showPins(list: PinList): void {
  if (list.conversation_id !== session?.open) return;
  pinsList.replaceChildren(
    ...list.pins.map((pinned) => {
      const item = document.createElement("li");
      item.dataset.messageId = String(pinned.message.id);
      const body = document.createElement("span");
      body.className = "body";
      body.textContent = pinned.message.deleted_at ? "Message deleted" : pinned.message.body;
      item.append(body, action("Unpin", () => void pin(pinned.message, "DELETE")));
      return item;
    }),
  );
}

async function pin(message: Message, method: "PUT" | "DELETE"): Promise<void> {
  if (!session) return;
  const path = { conversation_id: message.conversation_id, message_id: message.id };
  const answer =
    method === "PUT"
      ? await session.http.PUT("/conversations/{conversation_id}/pins/{message_id}", { params: { path } })
      : await session.http.DELETE("/conversations/{conversation_id}/pins/{message_id}", { params: { path } });
  if (answer.data) showPins(answer.data);
  else say(problemText(answer.error));
}

async function remove(message: Message): Promise<void> {
  if (!session) return;
  const deleted = await session.http.DELETE("/conversations/{conversation_id}/messages/{message_id}", {
    params: { path: { conversation_id: message.conversation_id, message_id: message.id } },
  });
  if (deleted.error) say(problemText(deleted.error));
}

async function markRead(message: Message): Promise<void> {
  if (!session || message.sender.id === session.userId || document.hidden) return;
  await session.http.POST("/conversations/{conversation_id}/read", {
    params: { path: { conversation_id: message.conversation_id } },
    body: { message_id: message.id },
  });
}

async function open(conversationId: number): Promise<void> {
  if (!session) return;
  const { socket, http } = session;
  if (session.open !== null && session.open !== conversationId) {
    await socket.emitWithAck("leave_conversation", { conversation_id: session.open });
  }
  session.open = conversationId;
  session.editing = null;
  session.replyingTo = null;
  session.reactions = new Map();
  // Join first, then fetch: whatever is posted in between arrives by the socket and is
  // dropped as a duplicate by its id.
  const ack = await socket.emitWithAck("join_conversation", { conversation_id: conversationId });
  if (isAckError(ack)) return say(`Cannot open: ${ack.error.message}`);
  const page = await http.GET("/conversations/{conversation_id}/messages", {
    params: { path: { conversation_id: conversationId } },
  });
  if (!page.data) return say(problemText(page.error));
  const conversation = session.conversations.get(conversationId);
  element("title").textContent = conversation ? titleOf(conversation) : "";
  messagesList.replaceChildren();
  typingLine.textContent = "";
  receiptLine.textContent = "";
  for (const message of page.data.items) session.reactions.set(message.id, message.reactions ?? []);
  page.data.items.forEach(showMessage);
  pinsList.replaceChildren();
  const pins = await http.GET("/conversations/{conversation_id}/pins", {
    params: { path: { conversation_id: conversationId } },
  });
  if (pins.data) showPins(pins.data);
  element("main").hidden = false;
  renderConversations();
  const newest = page.data.items.at(-1);
  if (newest) await markRead(newest);
}

function listenForBadges(socket: ChatSocket): void {
  socket.on("message_mentioned", ({ message }) => {
    // An open conversation is read as it arrives; `unread_count_updated` then says so.
    if (message.conversation_id === session?.open) return;
    setMentions(message.conversation_id, (session?.mentions.get(message.conversation_id) ?? 0) + 1);
  });
  socket.on("unread_count_updated", (event) => {
    setMentions(event.conversation_id, event.unread_mentions ?? 0);
  });
}

function listen(socket: ChatSocket): void {
  socket.on("conversation_created", remember);
  socket.on("message_created", (message) => {
    if (message.conversation_id !== session?.open) return;
    showMessage(message);
    typingLine.textContent = "";
    void markRead(message);
  });
  socket.on("message_updated", ({ message }) => {
    if (message.conversation_id !== session?.open) return;
    replaceMessage(message);
    // A pinned message shows as it now stands there too.
    const pinned = pinsList.querySelector(`[data-message-id="${message.id}"] .body`);
    if (pinned) pinned.textContent = message.deleted_at ? "Message deleted" : message.body;
  });
  socket.on("pins_updated", showPins);
  // The same payload for everyone: whether it is yours changes only with your own.
  socket.on("reaction_updated", (event) => {
    if (event.conversation_id !== session?.open) return;
    const held = session.reactions.get(event.message_id) ?? [];
    const before = held.find((reaction) => reaction.emoji === event.emoji);
    const reacted = event.user_id === session.userId ? event.added : (before?.reacted ?? false);
    const now = { emoji: event.emoji, count: event.count, user_ids: event.user_ids, reacted };
    const after =
      event.count === 0
        ? held.filter((reaction) => reaction.emoji !== event.emoji)
        : before
          ? held.map((reaction) => (reaction.emoji === event.emoji ? now : reaction))
          : [...held, now];
    session.reactions.set(event.message_id, after);
    renderReactions(event.message_id);
  });
  socket.on("conversation_activity", (activity) => {
    const known = session?.conversations.get(activity.conversation_id);
    if (known) remember({ ...known, updated_at: activity.updated_at });
  });
  socket.on("typing", (event) => {
    if (event.conversation_id !== session?.open) return;
    const name = session.names.get(event.user_id) ?? `User ${event.user_id}`;
    typingLine.textContent = event.state === "start" ? `${name} is typing…` : "";
  });
  socket.on("message_read", (event) => {
    if (event.conversation_id !== session?.open || event.reader.id === session.userId) return;
    receiptLine.textContent = `Read by ${event.reader.display_name}`;
    receiptLine.dataset.messageId = String(event.last_read_message_id);
  });
  socket.on("session_ended", () => say("Your session ended; log in again."));
  socket.on("disconnect", () => {
    if (session) say("Offline: reconnecting…");
  });
  // `connect()` resumes by itself: the missed events come through the listeners above.
  // Only when it could not is what the page shows refetched. (The first `sync`, at sign
  // in, comes before there is a session: signing in fetches.)
  socket.on("sync", (sync) => {
    if (!session) return;
    if (sync.resumed) return say(`Back online: ${sync.replayed} missed events.`);
    say("Back online: refetched.");
    void refetch();
  });
  listenForBadges(socket);
}

async function refetch(): Promise<void> {
  if (!session) return;
  const list = await session.http.GET("/conversations");
  for (const conversation of list.data?.items ?? []) {
    session.mentions.set(conversation.id, conversation.unread_mentions ?? 0);
    remember(conversation);
  }
  if (session.open !== null) await open(session.open);
}

async function signIn(username: string, password: string, register: boolean): Promise<void> {
  const anonymous = createHttpClient(origin);
  if (register) {
    const created = await anonymous.POST("/auth/register", {
      body: { username, password, display_name: username },
    });
    if (!created.data) return say(problemText(created.error));
  }
  const login = await anonymous.POST("/auth/login", { body: { username, password } });
  if (!login.data) return say(problemText(login.error));
  const token = login.data.access_token;
  const http = createHttpClient(origin, token);
  const socket = connect(origin, token);
  listen(socket);
  await connected(socket);
  session = {
    http,
    socket,
    userId: login.data.user.id,
    conversations: new Map(),
    open: null,
    names: new Map(),
    lastTypingSent: 0,
    editing: null,
    replyingTo: null,
    mentions: new Map(),
    reactions: new Map(),
  };
  const list = await http.GET("/conversations");
  for (const conversation of list.data?.items ?? []) {
    session.mentions.set(conversation.id, conversation.unread_mentions ?? 0);
    remember(conversation);
  }
  element("me").textContent = login.data.user.display_name;
  element("login").hidden = true;
  element("session").hidden = false;
  say("Connected.");
}

async function userIds(http: HttpClient, usernames: string[]): Promise<number[] | string> {
  const ids: number[] = [];
  for (const username of usernames) {
    const found = await http.GET("/users", { params: { query: { q: username, limit: 50 } } });
    const user = found.data?.items.find((candidate) => candidate.username === username);
    if (!user) return `No user named ${username}`;
    ids.push(user.id);
  }
  return ids;
}

element<HTMLFormElement>("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  const action = (event.submitter as HTMLButtonElement | null)?.value;
  void signIn(String(form.get("username")), String(form.get("password")), action === "register");
});

element<HTMLFormElement>("start").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!session) return;
  const { http } = session;
  const form = new FormData(event.target as HTMLFormElement);
  const usernames = String(form.get("usernames")).split(",").map((name) => name.trim()).filter(Boolean);
  void (async () => {
    const ids = await userIds(http, usernames);
    if (typeof ids === "string") return say(ids);
    const created = await http.POST("/conversations", {
      body: { kind: "group", title: String(form.get("title")), participant_ids: ids },
    });
    if (!created.data) return say(problemText(created.error));
    remember(created.data);
    await open(created.data.id);
  })();
});

element<HTMLFormElement>("compose").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const input = form.elements.namedItem("body") as HTMLInputElement;
  if (!session || session.open === null) return;
  const { http, open: conversationId, editing } = session;
  const body = input.value;
  input.value = "";
  session.lastTypingSent = 0;
  if (editing !== null) {
    session.editing = null;
    say("");
    void http
      .PATCH("/conversations/{conversation_id}/messages/{message_id}", {
        params: { path: { conversation_id: conversationId, message_id: editing } },
        body: { body },
      })
      .then((edited) => (edited.data ? replaceMessage(edited.data) : say(problemText(edited.error))));
    return;
  }
  const replyTo = session.replyingTo?.id ?? null;
  session.replyingTo = null;
  say("");
  const mentions = mentionsIn(body, session.conversations.get(conversationId));
  void http
    .POST("/conversations/{conversation_id}/messages", {
      params: { path: { conversation_id: conversationId } },
      body: { body, client_message_id: crypto.randomUUID(), reply_to: replyTo, mentions },
    })
    .then((sent) => (sent.data ? showMessage(sent.data) : say(problemText(sent.error))));
});

element<HTMLInputElement>("compose").addEventListener("input", () => {
  if (!session || session.open === null) return;
  const now = Date.now();
  // `start` lasts a few seconds on the server; resend it while the user keeps typing.
  if (now - session.lastTypingSent < TYPING_RESEND_MS) return;
  session.lastTypingSent = now;
  void session.socket.emitWithAck("typing", { conversation_id: session.open, state: "start" });
});
