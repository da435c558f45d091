package newsmon.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/**
 * {@code russian}: Lucene's {@link RussianAnalyzer} (Snowball stop words and stemmer). The Snowball
 * 2 Russian stemmer in Lucene 9 folds {@code ё} into {@code е} itself, so no char filter is needed.
 */
@NamedComponent("russian")
public final class RussianAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new RussianAnalyzer();
    }
}
