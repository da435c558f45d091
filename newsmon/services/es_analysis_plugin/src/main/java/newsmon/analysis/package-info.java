/**
 * Language analyzers for the local {@code integ-test-zip} Elasticsearch node, registered through
 * Elasticsearch's stable plugin API under the names the full distribution uses for its built-in
 * (or officially plugged-in) analyzers: {@code english}, {@code russian}, {@code german},
 * {@code polish} (like analysis-stempel), {@code ukrainian} (like analysis-ukrainian), plus
 * {@code belarusian}, which no distribution has; and the token filters {@code polish_stem},
 * {@code polish_stop} (like analysis-stempel) and {@code length} (like analysis-common) that the
 * index-defined {@code polish_newsmon} analyzer is built from, with those plugins' settings.
 *
 * <p>Each factory builds the same Lucene analyzer Elasticsearch builds for that name when no
 * parameters are given. Analyzer parameters ({@code stopwords}, {@code stem_exclusion}) are not
 * supported: mappings must use the analyzers by name only. Never remove a component while an index
 * uses it: that index cannot be opened and the node stays red. The plugin must never be installed on a full
 * Elasticsearch (its names clash with the built-ins there, and the node refuses to start).
 * See docs/decisions/0008-local-language-analyzers.md.
 */
package newsmon.analysis;
