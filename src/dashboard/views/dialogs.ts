/**
 * The two dialogs: the confirmation a destructive action asks for, and the token prompt. Native
 * <dialog> opened modal: focus moves into it, Escape cancels, the page behind cannot be clicked.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { provideToken, tokenState, onTokenState } from '../auth.js';
import { html } from '../html.js';

interface Ask {
  title: string;
  body: string;
  confirm: string;
  resolve(ok: boolean): void;
}

let show: ((ask: Ask | null) => void) | null = null;

/** Resolves true when the user confirms; false on Cancel or Escape. */
export function confirmAction(title: string, body: string, confirm: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!show) return resolve(false);
    show({ title, body, confirm, resolve });
  });
}

export function ConfirmHost() {
  const [ask, setAsk] = useState<Ask | null>(null);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    show = setAsk;
    return () => {
      show = null;
    };
  }, []);
  useEffect(() => {
    if (ask && ref.current && !ref.current.open) ref.current.showModal();
  }, [ask]);
  const done = (ok: boolean): void => {
    ref.current?.close();
    ask?.resolve(ok);
    setAsk(null);
  };
  if (!ask) return null;
  return html`<dialog ref=${ref} class="dialog" aria-labelledby="confirm-title" onCancel=${(e: Event) => (e.preventDefault(), done(false))}>
    <h2 id="confirm-title">${ask.title}</h2>
    <p>${ask.body}</p>
    <div class="dialog-actions">
      <button type="button" class="btn" onClick=${() => done(false)}>Cancel</button>
      <button type="button" class="btn danger" data-confirm onClick=${() => done(true)}>${ask.confirm}</button>
    </div>
  </dialog>`;
}

export function TokenPrompt() {
  const [state, setState] = useState(tokenState());
  const [value, setValue] = useState('');
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => onTokenState(() => setState(tokenState())), []);
  useEffect(() => {
    const dialog = ref.current;
    if (state.needed && dialog && !dialog.open) dialog.showModal();
    if (!state.needed && dialog?.open) dialog.close();
  }, [state.needed]);
  if (!state.needed) return null;
  const submit = (e: Event): void => {
    e.preventDefault();
    if (value.trim() === '') return;
    provideToken(value);
    setValue('');
  };
  return html`<dialog ref=${ref} class="dialog" aria-labelledby="token-title" onCancel=${(e: Event) => e.preventDefault()}>
    <form onSubmit=${submit}>
      <h2 id="token-title">API token</h2>
      <p>This server needs its API token (<code>MXX_API_TOKEN</code>). It is kept in this tab only and sent as a header, never in a URL.</p>
      ${state.problem && html`<p class="error" role="alert" data-token-problem>${state.problem}</p>`}
      <label for="token-input">Token</label>
      <input id="token-input" type="password" autocomplete="current-password" value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} autofocus />
      <div class="dialog-actions"><button type="submit" class="btn primary">Connect</button></div>
    </form>
  </dialog>`;
}
