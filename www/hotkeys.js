// Hotkeys: a single key presses the button that announces it with `aria-keyshortcuts`
// (so what the keyboard does is what a click does, and screen readers can tell). Keys
// typed into a field, or with a modifier, are the field's.

/** Starts listening; a key press clicks the enabled, visible button whose shortcut it is. */
export function startHotkeys() {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName))) return;
    if (e.key.length !== 1) return;
    const key = e.key.toUpperCase();
    for (const b of document.querySelectorAll("button[aria-keyshortcuts]")) {
      if (b.getAttribute("aria-keyshortcuts").toUpperCase() !== key) continue;
      if (b.disabled || b.getAttribute("aria-disabled") === "true" || b.offsetParent === null) continue;
      e.preventDefault();
      b.click();
      return;
    }
  });
}
