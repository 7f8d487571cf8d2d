// The pieces both pages are made of: loading data with its error, a form that says what went
// wrong in words, labelled fields, and the notices a screen reader announces.

import { render, type ComponentChildren, type VNode } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { sentence } from "./api.js";

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  /** Loads again, keeping what is shown until the new answer arrives. */
  reload: () => void;
}

/**
 * Loads `load()` now and whenever `deps` change; a newer load wins over an older one that
 * answers late.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const mine = ++latest.current;
    setLoading(true);
    load().then(
      (value) => {
        if (mine !== latest.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (mine !== latest.current) return;
        setError(sentence(failure));
        setLoading(false);
      },
    );
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, loading, reload };
}

/** What a failed load or action says, announced to screen readers. */
export function ErrorNote({ error }: { error: string | undefined }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** A section's body: its data once loaded, else what is happening. */
export function Section<T>({
  loaded,
  empty,
  children,
}: {
  loaded: Loaded<T>;
  empty?: (data: T) => boolean;
  children: (data: T) => ComponentChildren;
}) {
  if (loaded.data === undefined) {
    return loaded.error !== undefined ? (
      <ErrorNote error={loaded.error} />
    ) : (
      <p class="muted" aria-live="polite">
        Loading…
      </p>
    );
  }
  return (
    <>
      <ErrorNote error={loaded.error} />
      {empty?.(loaded.data) ? <p class="muted">Nothing here yet.</p> : children(loaded.data)}
    </>
  );
}

/**
 * A form whose submit runs `action`: the button is busy meanwhile, and a refusal shows its
 * problem's detail under the form; on success, `done` says so.
 */
export function ActionForm({
  action,
  submit,
  done,
  class: className,
  label,
  children,
  disabled,
}: {
  action: () => Promise<unknown>;
  submit: string;
  done?: string;
  class?: string;
  label?: string;
  children?: ComponentChildren;
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      await action();
      setMessage(done);
    } catch (failure) {
      setError(sentence(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class={className ?? "stack"} onSubmit={onSubmit} aria-label={label}>
      {children}
      <div class="row">
        <button type="submit" disabled={busy || disabled}>
          {busy ? "Working…" : submit}
        </button>
        {message !== undefined && (
          <span class="ok" role="status">
            {message}
          </span>
        )}
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

let fieldCount = 0;

/** A labelled input; its id ties the label to it. */
export function Field({
  label,
  value,
  onInput,
  type = "text",
  required,
  maxLength,
  hint,
  autoComplete,
  multiline,
}: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  required?: boolean;
  maxLength?: number;
  hint?: string;
  autoComplete?: string;
  multiline?: boolean;
}) {
  const id = useRef(`field-${++fieldCount}`).current;
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const common = {
    id,
    value,
    required,
    maxLength,
    autoComplete,
    "aria-describedby": hintId,
    onInput: (event: Event) => onInput((event.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {multiline ? <textarea rows={3} {...common} /> : <input type={type} {...common} />}
      {hint !== undefined && (
        <small id={hintId} class="muted">
          {hint}
        </small>
      )}
    </div>
  );
}

/** A labelled choice among options. */
export function Choice<T extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (value: T) => void;
}) {
  const id = useRef(`field-${++fieldCount}`).current;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange((event.currentTarget as HTMLSelectElement).value as T)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A short coloured word for a state, readable without its colour. */
export function Badge({ tone, children }: { tone: string; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/** Words for an enum value: `under_review` → "under review". */
export function words(value: string): string {
  return value.replaceAll("_", " ");
}

/**
 * Renders a page into `#root`, under a line where an error the page did not catch is told in
 * words, never as a stack.
 */
export function mount(page: VNode): void {
  window.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    const note = document.getElementById("page-error");
    if (note !== null) note.textContent = sentence(event.reason);
  });
  const root = document.getElementById("root");
  if (root === null) return;
  root.replaceChildren();
  render(
    <>
      <p id="page-error" class="error" role="alert" />
      {page}
    </>,
    root,
  );
}

/**
 * A row of tabs as the ARIA tabs pattern has it: the chosen tab is the one in the page's
 * Tab order, and the arrow keys (Home and End too) move between them and choose.
 */
export function Tabs<T extends string>({
  label,
  tabs,
  chosen,
  onChoose,
  controls,
}: {
  label: string;
  tabs: { value: T; label: string }[];
  chosen: T;
  onChoose: (value: T) => void;
  controls?: string;
}) {
  const row = useRef<HTMLDivElement>(null);
  const move = (event: KeyboardEvent) => {
    const at = tabs.findIndex((t) => t.value === chosen);
    const to =
      event.key === "ArrowRight"
        ? (at + 1) % tabs.length
        : event.key === "ArrowLeft"
          ? (at - 1 + tabs.length) % tabs.length
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? tabs.length - 1
              : undefined;
    if (to === undefined) return;
    event.preventDefault();
    onChoose(tabs[to]!.value);
    row.current?.querySelectorAll<HTMLButtonElement>('[role="tab"]')[to]?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={label} ref={row} onKeyDown={move}>
      {tabs.map((tab) => (
        <button
          type="button"
          role="tab"
          key={tab.value}
          id={`tab-${tab.value}`}
          aria-selected={tab.value === chosen}
          aria-controls={controls}
          tabIndex={tab.value === chosen ? 0 : -1}
          onClick={() => onChoose(tab.value)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

/** A page that has nothing to show yet: what it waits for, or why it cannot show it. */
export function Waiting({
  title,
  waiting,
  error,
  children,
}: {
  title: string;
  waiting: string;
  error: string | undefined;
  children?: ComponentChildren;
}) {
  return (
    <main id="main" class="narrow">
      <h1>{title}</h1>
      {error === undefined ? (
        <p class="muted" aria-live="polite">
          {waiting}
        </p>
      ) : (
        <>
          <ErrorNote error={error} />
          {children}
        </>
      )}
    </main>
  );
}
