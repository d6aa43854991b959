// Updates a live region in place from a freshly built tree: nodes that did not change are kept, so a refresh
// every few seconds does not flicker, lose the focus, the scroll position or a text selection.
// Event listeners are not diffed: a kept element keeps its listeners, so live regions bind events by delegation
// or through `data-` attributes read at event time.

export function morphChildren(target: Element, next: Node[]): void {
  const current = Array.from(target.childNodes);
  for (let i = 0; i < next.length; i += 1) {
    const have = current[i];
    const want = next[i];
    if (!have) {
      target.appendChild(want);
    } else if (sameKind(have, want)) {
      morphNode(have, want);
    } else {
      target.replaceChild(want, have);
    }
  }
  for (let i = current.length - 1; i >= next.length; i -= 1) current[i].remove();
}

function sameKind(a: Node, b: Node): boolean {
  if (a.nodeType !== b.nodeType) return false;
  if (a instanceof Element && b instanceof Element) {
    return a.tagName === b.tagName && a.getAttribute('data-key') === b.getAttribute('data-key');
  }
  return true;
}

function morphNode(have: Node, want: Node): void {
  if (!(have instanceof Element) || !(want instanceof Element)) {
    if (have.nodeValue !== want.nodeValue) have.nodeValue = want.nodeValue;
    return;
  }
  for (const attr of Array.from(have.attributes)) {
    if (!want.hasAttribute(attr.name)) have.removeAttribute(attr.name);
  }
  for (const attr of Array.from(want.attributes)) {
    if (have.getAttribute(attr.name) !== attr.value) have.setAttribute(attr.name, attr.value);
  }
  morphChildren(have, Array.from(want.childNodes));
}
