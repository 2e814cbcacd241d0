"""The Markdown of notes and cards, which parsers and the renderer share: one markdown-it
engine (CommonMark + GFM), the card grammar and Obsidian's syntax as its plugins, the
token budget, fence and heading options, a card's body split into fields with its
markers, and its title. See docs/syntax.md for the syntax itself."""
