// Follows a team's live event stream (Server-Sent Events). `EventSource` cannot send a bearer
// token, so the stream is read with `fetch` and parsed here; it reconnects after the delay the
// server asks for (`retry:`), resuming with `Last-Event-ID`, until `signal` aborts.

import { SIGNED_OUT } from "./api.js";

export interface StreamEvent {
  /** The event's position in the log. */
  position: number;
  /** Its type, e.g. `IdeaSubmitted`. */
  type: string;
}

export interface Follow {
  teamId: string;
  token: string;
  /** Resume after this position. */
  after: number;
  onEvent: (event: StreamEvent) => void;
  /** Whether the stream is connected, for a person to see. */
  onState?: (live: boolean) => void;
  signal: AbortSignal;
}

export async function follow(options: Follow): Promise<void> {
  let after = options.after;
  let retry = 2000;
  while (!options.signal.aborted) {
    try {
      const response = await fetch(
        `/v1/teams/${encodeURIComponent(options.teamId)}/events/stream`,
        {
          headers: {
            Authorization: `Bearer ${options.token}`,
            Accept: "text/event-stream",
            "Last-Event-ID": String(after),
          },
          signal: options.signal,
          cache: "no-store",
        },
      );
      // A revoked token or a removed member: following stops, and the page hears why.
      if (response.status === 401 || response.status === 403) {
        const problem = (await response.json().catch(() => ({}))) as { detail?: unknown };
        const detail =
          typeof problem.detail === "string" ? problem.detail : "This token no longer signs in.";
        window.dispatchEvent(new CustomEvent(SIGNED_OUT, { detail }));
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
      options.onState?.(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (frame.retry !== undefined) retry = frame.retry;
          if (frame.id !== undefined && frame.event !== undefined) {
            after = Math.max(after, frame.id);
            options.onEvent({ position: frame.id, type: frame.event });
          }
        }
      }
    } catch {
      if (options.signal.aborted) return;
    }
    options.onState?.(false);
    await sleep(retry, options.signal);
  }
}

function parse(frame: string): { id?: number; event?: string; retry?: number } {
  const out: { id?: number; event?: string; retry?: number } = {};
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id" && /^\d+$/.test(value)) out.id = Number(value);
    else if (field === "event") out.event = value;
    else if (field === "retry" && /^\d+$/.test(value)) out.retry = Number(value);
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
