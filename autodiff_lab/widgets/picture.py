"""The caption and picture of a stepper: the picture scrolls sideways on its own and
keeps a node in view.

A picture wider than the notebook (lesson 16's array graph is about 3,600 px
wide) scrolls inside its own box, so the buttons and the caption above it stay
where they are. ``focus`` names the Graphviz nodes (the ``<title>`` of each
``g.node`` in the SVG) that the current step is about; after every change the
box scrolls just enough to bring them into view, the first one first when they
do not all fit. Only the picture scrolls: the page itself never moves.

The caption (``caption``, HTML) stands above the picture in the same widget:
`show` changes caption, picture and ``focus`` in one message, which the
browser applies at once, so a caption never stands over another step's
picture. It is an `anywidget` (a few lines of JavaScript shipped with the
widget, no JupyterLab extension to build).
"""

from __future__ import annotations

import anywidget
import traitlets

_SCRIPT = """
function render({ model, el }) {
  el.style.minWidth = "0";
  el.style.maxWidth = "100%";
  const caption = document.createElement("div");
  caption.className = "autodiff-caption";
  el.appendChild(caption);
  const box = document.createElement("div");
  box.className = "autodiff-picture-box";
  box.style.overflowX = "auto";
  box.style.maxWidth = "100%";
  el.appendChild(box);

  // Scroll the box (never the page) so that the focused nodes are in view.
  function reveal() {
    const names = model.get("focus");
    if (!names.length || box.clientWidth === 0) return;
    const origin = box.getBoundingClientRect();
    const spans = [];
    for (const group of box.querySelectorAll("g.node")) {
      const title = group.querySelector("title");
      const rank = title ? names.indexOf(title.textContent) : -1;
      if (rank < 0) continue;
      const r = group.getBoundingClientRect();
      spans.push({ rank, left: r.left - origin.left + box.scrollLeft,
                   right: r.right - origin.left + box.scrollLeft });
    }
    if (!spans.length) return;
    spans.sort((a, b) => a.rank - b.rank);
    const margin = 24, view = box.clientWidth;
    let left = Math.min(...spans.map((s) => s.left)) - margin;
    let right = Math.max(...spans.map((s) => s.right)) + margin;
    if (right - left > view) {  // too wide for the box: the first name decides
      left = spans[0].left - margin;
      right = spans[0].right + margin;
    }
    if (left >= box.scrollLeft && right <= box.scrollLeft + view) return;
    const target = right - left > view ? left : (left + right - view) / 2;
    box.scrollLeft = Math.max(0, Math.min(target, box.scrollWidth - view));
  }

  let shown = null;
  function show() {
    caption.innerHTML = model.get("caption");
    if (model.get("value") !== shown) {
      shown = model.get("value");
      box.innerHTML = shown;
    }
    reveal();
  }
  // One "change" event per message, after all its attributes are set.
  model.on("change", show);
  // Drawn before it was on screen, the box had no size: reveal once it has one.
  const observer = new ResizeObserver(() => reveal());
  observer.observe(box);
  show();
  return () => observer.disconnect();
}
export default { render };
"""


class Picture(anywidget.AnyWidget):
    """A caption over HTML in a box that scrolls sideways, keeping the nodes named in
    ``focus`` in view."""

    _esm = _SCRIPT
    caption = traitlets.Unicode("").tag(sync=True)
    value = traitlets.Unicode("").tag(sync=True)
    focus = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)

    def show(self, value: str, focus=(), caption: str | None = None) -> None:
        """Change the picture, what it is scrolled to and the caption, in one message."""
        with self.hold_sync():
            if caption is not None:
                self.caption = caption
            self.focus = list(focus)
            self.value = value
