// A client's state and the rule by which it applies each server event: fetch once
// (`GET /conversations`, and each joined conversation's messages and pins), then
// `state = applyEvent(state, event, payload)` for every event, in order. Hand-written to
// the specs' descriptions; the convergence suite (tests/convergence) replays recorded
// traces of a live service through it and compares with fresh fetches. Adding a server
// event to asyncapi.yaml without a rule here fails to compile (`RULES` names them all).
import type { EventPayload } from "./index.js";
import type { ServerToClientEvents } from "./events.js";
import type { Conversation, Message, Pin, QuotedMessage, Reaction } from "./schemas.js";

/** The first 100 characters (code points) of a quoted body: `QuotedMessage.preview`. */
export const QUOTE_PREVIEW_LENGTH = 100;

/** One user's view, as the HTTP API answers it. */
export interface ClientState {
  /** The user's id: some events read differently for their own actions. */
  me: number;
  /** Every conversation of the user, by id (`GET /conversations`). */
  conversations: Record<number, Conversation>;
  /** The messages of each conversation whose room the socket joined, oldest first. */
  messages: Record<number, Message[]>;
  /** The pins of each conversation whose room the socket joined. */
  pins: Record<number, Pin[]>;
}

type Rule<E extends keyof ServerToClientEvents> = (state: ClientState, payload: EventPayload<E>) => void;

/** How a reply quotes `message` as it now stands. */
export function quoted(message: Message): QuotedMessage {
  const deleted = message.deleted_at != null;
  const preview = deleted ? "" : [...message.body].slice(0, QUOTE_PREVIEW_LENGTH).join("");
  return { id: message.id, sender: message.sender, preview, deleted };
}

// Events that change nothing a fetch answers: who typed, who is online, others' delivery
// and read receipts (a reader's own badge comes by `unread_count_updated`), and the end
// of a session (log in again, then fetch).
const noState = (): void => undefined;

const RULES: { [E in keyof ServerToClientEvents]: Rule<E> } = {
  conversation_created(state, conversation) {
    state.conversations[conversation.id] = conversation;
  },
  conversation_updated(state, change) {
    const held = state.conversations[change.conversation_id];
    if (!held) return;
    const removed = new Set(change.participants_removed);
    const participants = held.participants.filter((p) => !removed.has(p.id));
    const known = new Set(participants.map((p) => p.id));
    participants.push(...change.participants_added.filter((p) => !known.has(p.id)));
    participants.sort((a, b) => a.id - b.id);
    Object.assign(held, {
      title: change.title,
      owner_id: change.owner_id,
      updated_at: change.updated_at,
      participants,
    });
  },
  conversation_activity(state, activity) {
    const held = state.conversations[activity.conversation_id];
    if (!held) return;
    held.last_seq = activity.seq;
    held.updated_at = activity.updated_at;
    held.last_message = activity.last_message;
    if (activity.last_message.sender.id === state.me) {
      // Sending marks the conversation read for its sender, up to their message.
      held.last_read_seq = activity.seq;
      held.unread_mentions = 0;
    }
    held.unread_count = held.last_seq - held.last_read_seq;
  },
  conversation_deleted(state, { conversation_id }) {
    delete state.conversations[conversation_id];
    delete state.messages[conversation_id];
    delete state.pins[conversation_id];
  },
  message_created(state, message) {
    const held = state.messages[message.conversation_id];
    if (!held || held.some((m) => m.id === message.id)) return;
    // Events carry no reactions (they are the same for everyone): a new message has none.
    held.push({ ...message, reactions: [] });
  },
  message_updated(state, { message }) {
    const cid = message.conversation_id;
    const held = state.messages[cid] ?? [];
    held.forEach((m, index) => {
      // The event's message is the same for everyone: keep the reactions held.
      if (m.id === message.id) held[index] = { ...message, reactions: m.reactions ?? [] };
      else if (m.reply_to?.id === message.id) m.reply_to = quoted(message);
    });
    for (const pin of state.pins[cid] ?? []) {
      if (pin.message.id === message.id) pin.message = message;
    }
    const last = state.conversations[cid]?.last_message;
    if (last && last.id === message.id) {
      Object.assign(last, { body: message.body, edited_at: message.edited_at, deleted_at: message.deleted_at });
    }
  },
  pins_updated(state, list) {
    if (state.pins[list.conversation_id]) state.pins[list.conversation_id] = list.pins;
  },
  unread_count_updated(state, badge) {
    const held = state.conversations[badge.conversation_id];
    if (!held) return;
    held.unread_count = badge.unread_count;
    held.last_read_seq = held.last_seq - badge.unread_count;
    held.unread_mentions = badge.unread_mentions ?? 0;
  },
  message_mentioned(state, { message }) {
    const held = state.conversations[message.conversation_id];
    if (held && message.seq > held.last_read_seq) held.unread_mentions = (held.unread_mentions ?? 0) + 1;
  },
  reaction_updated(state, change) {
    const message = state.messages[change.conversation_id]?.find((m) => m.id === change.message_id);
    if (!message) return;
    const reactions: Reaction[] = message.reactions ?? [];
    const before = reactions.find((r) => r.emoji === change.emoji);
    if (change.count === 0) {
      message.reactions = reactions.filter((r) => r.emoji !== change.emoji);
      return;
    }
    // Whether it is yours changes only with your own reaction.
    const reacted = change.user_id === state.me ? change.added : (before?.reacted ?? false);
    const now: Reaction = { emoji: change.emoji, count: change.count, user_ids: change.user_ids, reacted };
    message.reactions = before ? reactions.map((r) => (r === before ? now : r)) : [...reactions, now];
  },
  message_read: noState,
  message_delivered: noState,
  typing: noState,
  presence_changed: noState,
  session_ended: noState,
  // The start of the stream: with `resumed: false` what is held may be stale, and the
  // client refetches it (see `resumingSocket`); the event itself changes nothing.
  sync: noState,
};

/** The names of the server events `applyEvent` has a rule for: every one of the spec. */
export const APPLIED_EVENTS = Object.keys(RULES) as (keyof ServerToClientEvents)[];

/**
 * The state after `event`: a new object (the one given is left as it was), so that it
 * serves as a reducer (React's `useReducer`, Redux) as it is.
 */
export function applyEvent<E extends keyof ServerToClientEvents>(
  state: ClientState,
  event: E,
  payload: EventPayload<E>,
): ClientState {
  const next = structuredClone(state);
  (RULES[event] as Rule<E>)(next, structuredClone(payload));
  return next;
}
