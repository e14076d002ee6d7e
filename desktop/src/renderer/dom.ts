// A tiny DOM helper instead of a framework: elements from tag, attributes and children.
// Text always goes in as text nodes (never innerHTML), so nothing from AWS or the disk can inject markup.

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (name in element && typeof value !== 'string')
      (element as unknown as Record<string, unknown>)[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(
    ...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map(String2),
  );
  return element;
}

function String2(child: Node | string | number): Node | string {
  return typeof child === 'number' ? String(child) : child;
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(
    ...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map(String2),
  );
}

/** An error as the page shows it: message, then the hint. */
export function errorBox(err: unknown): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const hint = (err as { hint?: string }).hint;
  const code = (err as { code?: string }).code;
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('strong', {}, code ? `${code}: ` : ''),
    message,
    hint ? h('div', { class: 'hint' }, hint) : null,
  );
}

/** Runs an action from a button: disables it meanwhile and shows a failure in `status`. */
export async function busy<T>(
  button: HTMLButtonElement,
  status: Element,
  action: () => Promise<T>,
): Promise<T | undefined> {
  button.disabled = true;
  replaceChildren(status, h('span', { class: 'muted' }, 'Working…'));
  try {
    const result = await action();
    replaceChildren(status);
    return result;
  } catch (err) {
    replaceChildren(status, errorBox(err));
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function table(header: string[], rows: Node[][], attributes: Attributes = {}): HTMLTableElement {
  return h(
    'table',
    attributes,
    h('thead', {}, h('tr', {}, ...header.map((title) => h('th', {}, title)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))),
  );
}
