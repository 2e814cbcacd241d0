/* The first script of every card side: the page calls this function with the side's load
   number. Each side's frame is sandboxed (an origin of its own), so the page cannot measure
   it: the side reports its own height, with the load number (the page drops reports from
   the page a side showed before a theme change) and the width it was laid out at. */
(function (load) {
  function report() {
    // The body's own height: the document's never shrinks below the frame's.
    var body = document.body;
    var margin = parseFloat(getComputedStyle(body).marginBottom) || 0;
    var height = Math.ceil(body.getBoundingClientRect().bottom + margin);
    // "*": the page's origin cannot be named from an opaque one; only sizes are sent.
    parent.postMessage({ pvLoad: load, pvWidth: innerWidth, pvHeight: height }, "*");
  }
  addEventListener("load", function () {
    // After load, so images are in; then a hint opened or a spoiler revealed resizes it.
    report();
    if (window.ResizeObserver) { new ResizeObserver(report).observe(document.body); }
    addEventListener("message", function (event) {
      if (event.source === parent && event.data === "pv-measure") { report(); }
    });
  });
})
