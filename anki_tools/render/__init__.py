"""Note (Markdown fields) → RenderedNote (sanitized HTML fields): the renderer
(renderer.py), code highlighting and its colours, images as media, what MathJax may
typeset, and what Anki refuses."""
