package newsmon.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/**
 * {@code ukrainian}: the analyzer Elasticsearch's analysis-ukrainian plugin provides (Lucene's
 * {@code UkrainianMorfologikAnalyzer}), rebuilt by {@link UkrainianAnalyzer} so that its dictionary
 * loads from this plugin's jars.
 */
@NamedComponent("ukrainian")
public final class UkrainianAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new UkrainianAnalyzer(Resources.ukrainianStopwords(), Resources.ukrainianDictionary());
    }
}
