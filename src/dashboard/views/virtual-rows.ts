/**
 * Rows rendered only where the window shows them (10 000 jobs stay responsive): the list keeps its
 * full height, and on scroll or resize the visible slice (plus a margin) is drawn. The row height
 * comes from the CSS (`--row-h`, taller on narrow screens, where a row wraps to two lines).
 * ArrowUp/ArrowDown move the focus from row to row, scrolling as needed.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';

const OVERSCAN = 8;

interface Props<T> {
  items: readonly T[];
  render(item: T, index: number): ComponentChildren;
  keyOf(item: T): string;
  label: string;
  /** aria-rowcount includes the header row. */
  headerRows?: number;
}

export function VirtualRows<T>({ items, render, keyOf, label, headerRows = 1 }: Props<T>) {
  const ref = useRef<HTMLDivElement>(null);
  const [rowHeight, setRowHeight] = useState(40);
  const [range, setRange] = useState({ from: 0, to: 40 });
  const focusNext = useRef<number | null>(null);

  const measure = (): void => {
    const el = ref.current;
    if (!el) return;
    const h = parseFloat(getComputedStyle(el).getPropertyValue('--row-h')) || 40;
    if (h !== rowHeight) setRowHeight(h);
    const top = el.getBoundingClientRect().top;
    const from = Math.max(0, Math.floor(-top / h) - OVERSCAN);
    const to = Math.min(items.length, Math.ceil((innerHeight - top) / h) + OVERSCAN);
    setRange((r) => (r.from === from && r.to === to ? r : { from, to }));
  };

  useLayoutEffect(measure, [items.length, rowHeight]);
  useEffect(() => {
    addEventListener('scroll', measure, { passive: true });
    addEventListener('resize', measure);
    return () => {
      removeEventListener('scroll', measure);
      removeEventListener('resize', measure);
    };
  });
  useEffect(() => {
    if (focusNext.current !== null && focusRow(focusNext.current)) focusNext.current = null;
  });

  const focusRow = (index: number): boolean => {
    const row = ref.current?.querySelector<HTMLElement>(`[data-index="${index}"]`);
    const target = row && (row.matches('a, button') ? row : row.querySelector<HTMLElement>('a, button'));
    target?.focus();
    return Boolean(target);
  };
  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const current = (e.target as HTMLElement).closest<HTMLElement>('[data-index]');
    if (!current) return;
    e.preventDefault();
    const next = Math.min(items.length - 1, Math.max(0, Number(current.dataset.index) + (e.key === 'ArrowDown' ? 1 : -1)));
    const el = ref.current!;
    const rowTop = el.getBoundingClientRect().top + next * rowHeight;
    if (rowTop < 80) scrollBy(0, rowTop - 80);
    else if (rowTop + rowHeight > innerHeight) scrollBy(0, rowTop + rowHeight - innerHeight);
    // Not drawn yet (it was off screen): focused once the scroll has drawn it.
    if (!focusRow(next)) {
      focusNext.current = next;
      measure();
    }
  };

  const visible = [];
  for (let i = range.from; i < Math.min(range.to, items.length); i++) visible.push(html`<div key=${keyOf(items[i]!)} class="vrow" role="row" aria-rowindex=${i + 1 + headerRows} data-index=${i} style=${{ top: `${i * rowHeight}px` }}>${render(items[i]!, i)}</div>`);
  return html`<div ref=${ref} class="vrows" role="rowgroup" aria-label=${label} style=${{ height: `${items.length * rowHeight}px` }} onKeyDown=${onKeyDown}>${visible}</div>`;
}
