// Clicks the page turns into Gradio events: a source card's "Read the whole post" and a bar
// of the timeline chart each write a value into a hidden textbox and fire its input event.
(() => {
  function send(elemId, value) {
    const box = document.querySelector(`#${elemId} textarea, #${elemId} input`);
    if (!box) return;
    // a nonce, so the same bar or card clicked twice is still a new value
    box.value = `${value}|${Date.now()}`;
    box.dispatchEvent(new Event("input", {bubbles: true}));
    // the button's click reads the box: a hidden box's own events do not reach the server
    setTimeout(() => document.getElementById(`${elemId}-btn`)?.click(), 50);
  }
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!target || !target.closest) return;
    const read = target.closest("button.read-post");
    if (read) {
      event.preventDefault();
      send("open-source", read.dataset.open || "");
      return;
    }
    // Vega draws each bar as a path whose aria-label names its fields: "period: 2016; …"
    const bar = target.closest("#timeline path, #timeline rect");
    const label = bar && (bar.getAttribute("aria-label") || "");
    const match = label && label.match(/period:\s*([0-9]{4}(?:-[0-9]{2})?)/);
    if (match) send("timeline-period", match[1]);
  });
})();
