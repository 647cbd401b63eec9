"""JSON-LD shapes the outlets print, read by the shared helpers."""

from newscrawl.normalize.jsonld import (
    breadcrumb_names,
    find_article,
    jsonld_objects,
    keywords,
    names,
    resolve_references,
)

GRAPH_WITH_REFERENCES = """{"@context": "https://schema.org", "@graph": [
  {"@type": "NewsArticle", "@id": "https://x.id/a#article", "headline": "Judul",
   "author": {"@id": "https://x.id/#/schema/person/1"},
   "editor": [{"@id": "https://x.id/#/schema/person/2"}, {"@id": "https://x.id/#/unknown"}]},
  {"@type": "Person", "@id": "https://x.id/#/schema/person/1", "name": "Dinda Rachmawati"},
  {"@type": "Person", "@id": "https://x.id/#/schema/person/2", "name": "Bagus Santoso"},
  {"@type": "WebPage", "@id": "https://x.id/a", "breadcrumb": {"@type": "BreadcrumbList",
   "itemListElement": [{"@type": "ListItem", "position": 2, "name": "Gadget"},
                       {"@type": "ListItem", "position": 1, "name": "Tech"}]}}
]}"""


def test_people_given_by_reference_are_resolved():
    objects = jsonld_objects([GRAPH_WITH_REFERENCES])
    article = resolve_references(find_article(objects), objects)
    assert names(article["author"]) == ["Dinda Rachmawati"]
    # A reference to a node the page does not print stays unresolved and names nobody.
    assert names(article["editor"]) == ["Bagus Santoso"]


def test_breadcrumb_nested_in_a_web_page_is_found():
    assert breadcrumb_names(jsonld_objects([GRAPH_WITH_REFERENCES])) == ["Tech", "Gadget"]


def test_placeholder_keywords_are_not_tags():
    assert keywords("Update me, ponsel, 5G") == ["ponsel", "5G"]
    assert keywords(["UPDATE ME", " AI "]) == ["AI"]
