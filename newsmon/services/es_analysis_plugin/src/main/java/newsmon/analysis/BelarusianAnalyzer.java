package newsmon.analysis;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.StopwordAnalyzerBase;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.standard.StandardTokenizer;

/**
 * Belarusian without stemming: {@link StandardTokenizer}, {@link LowerCaseFilter}, {@link StopFilter}.
 *
 * <p>Lucene, Snowball and Hunspell-in-Elasticsearch have no Belarusian stemmer, and the Russian
 * stemmers conflate only the Belarusian case forms whose endings happen to be spelt as in Russian
 * (палітвязням and палітвязня become палітвязн, палітвязні and палітвязняў stay), which would make
 * matches depend on the grammatical case a word is in. The same three steps are an ordinary custom
 * analyzer ({@code standard} tokenizer, {@code lowercase} and {@code stop} filters), so any
 * Elasticsearch can reproduce this analyzer exactly from index settings.
 */
final class BelarusianAnalyzer extends StopwordAnalyzerBase {
    BelarusianAnalyzer(CharArraySet stopwords) {
        super(stopwords);
    }

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        Tokenizer source = new StandardTokenizer();
        TokenStream result = new LowerCaseFilter(source);
        result = new StopFilter(result, stopwords);
        return new TokenStreamComponents(source, result);
    }

    @Override
    protected TokenStream normalize(String fieldName, TokenStream in) {
        return new LowerCaseFilter(in);
    }
}
