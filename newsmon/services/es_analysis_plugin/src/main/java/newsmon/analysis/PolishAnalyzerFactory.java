package newsmon.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.pl.PolishAnalyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/**
 * {@code polish}: Lucene's Stempel {@link PolishAnalyzer}, as Elasticsearch's analysis-stempel
 * plugin provides it (its stop words and stemmer table load from its own jar).
 */
@NamedComponent("polish")
public final class PolishAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new PolishAnalyzer();
    }
}
