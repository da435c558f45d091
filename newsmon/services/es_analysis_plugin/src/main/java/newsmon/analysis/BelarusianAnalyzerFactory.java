package newsmon.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/**
 * {@code belarusian}: standard tokenizer, lower case and newsmon's Belarusian stop words; no
 * stemming (see {@link BelarusianAnalyzer}).
 */
@NamedComponent("belarusian")
public final class BelarusianAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new BelarusianAnalyzer(Resources.belarusianStopwords());
    }
}
