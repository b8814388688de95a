"""Why wirewatch's extractor scores low on a benchmark page, found by reading the page
(keyed by the first ten characters of its key). Notes only: nothing here steers extraction."""

from __future__ import annotations

CAUSES: dict[str, str] = {
    "b3c19dd5f0": "excerpts of other posts (teasers ending in an ellipsis) after the article"
    " are kept as body; the true body is one short paragraph",
    "51d066b060": "the true body keeps the headlines of related stories set between the"
    " paragraphs; the extractor drops them as links",
    "cc03ddb5ef": "a short page (680 characters): the date line above it and the line of tags"
    " below it are kept",
    "232a43fb15": "the first paragraph is lost and a sidebar teaser and two headlines are"
    " taken in its place",
}
