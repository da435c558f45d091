package newsmon.analysis;

import java.util.List;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.pl.PolishAnalyzer;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

/**
 * {@code polish_stop} token filter: a {@link StopFilter} with Lucene's Polish stop words, as
 * analysis-stempel's {@code polish_stop}: {@code stopwords} (a list, {@code _polish_} or
 * {@code _none_}) and {@code ignore_case} work the same; {@code stopwords_path} and
 * {@code remove_trailing: false} are refused rather than silently ignored.
 */
@NamedComponent("polish_stop")
public final class PolishStopTokenFilterFactory implements TokenFilterFactory {
    private final CharArraySet stopwords;

    @Inject
    public PolishStopTokenFilterFactory(PolishStopSettings settings) {
        if (!settings.stopwordsPath().isEmpty()) {
            throw new IllegalArgumentException(
                "polish_stop: [stopwords_path] is not supported by the local newsmon-analysis plugin; list the words in [stopwords]");
        }
        if (!settings.removeTrailing()) {
            throw new IllegalArgumentException(
                "polish_stop: [remove_trailing: false] is not supported by the local newsmon-analysis plugin");
        }
        this.stopwords = stopwords(settings.stopwords(), settings.ignoreCase());
    }

    static CharArraySet stopwords(List<String> words, boolean ignoreCase) {
        if (words.isEmpty() || words.equals(List.of("_polish_"))) {
            return PolishAnalyzer.getDefaultStopSet();
        }
        if (words.equals(List.of("_none_"))) {
            return CharArraySet.EMPTY_SET;
        }
        return CharArraySet.unmodifiableSet(new CharArraySet(words, ignoreCase));
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new StopFilter(tokenStream, stopwords);
    }
}
