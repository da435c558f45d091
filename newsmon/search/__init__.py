"""``newsmon search``: Lucene query-string search over the articles, as analysts type it in Kibana."""
