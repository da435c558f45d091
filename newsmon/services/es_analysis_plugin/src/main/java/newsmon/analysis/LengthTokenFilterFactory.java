package newsmon.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.LengthFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

/**
 * {@code length} token filter: Lucene's {@link LengthFilter} keeping tokens of {@code min} to
 * {@code max} characters (UTF-16 units), as analysis-common's {@code length} (defaults 0 and
 * {@link Integer#MAX_VALUE}). Removed tokens leave position gaps, as there.
 */
@NamedComponent("length")
public final class LengthTokenFilterFactory implements TokenFilterFactory {
    private final int min;
    private final int max;

    @Inject
    public LengthTokenFilterFactory(LengthSettings settings) {
        this.min = settings.min();
        this.max = settings.max();
        if (min < 0 || max < min) {
            throw new IllegalArgumentException("length: need 0 <= min <= max, got min=" + min + ", max=" + max);
        }
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new LengthFilter(tokenStream, min, max);
    }
}
