package newsmon.analysis;

import java.io.Reader;
import morfologik.stemming.Dictionary;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.StopwordAnalyzerBase;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.apache.lucene.analysis.morfologik.MorfologikFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;

/**
 * The same chain as Lucene 9's {@code UkrainianMorfologikAnalyzer} (apostrophe, stress-mark and
 * ґ normalisation, standard tokenizer, lower case, stop words, Morfologik lemmas), but with the
 * dictionary passed in. Lucene's class can only load its dictionary by itself: in a named module
 * it looks for a separate module {@code morfologik.ukrainian.search}, which does not exist inside
 * the single synthetic module Elasticsearch builds for a stable plugin, so it fails there.
 */
final class UkrainianAnalyzer extends StopwordAnalyzerBase {
    private static final NormalizeCharMap NORMALIZER = normalizer();

    private final Dictionary dictionary;

    UkrainianAnalyzer(CharArraySet stopwords, Dictionary dictionary) {
        super(stopwords);
        this.dictionary = dictionary;
    }

    private static NormalizeCharMap normalizer() {
        NormalizeCharMap.Builder builder = new NormalizeCharMap.Builder();
        for (String apostrophe : new String[] {"\u2019", "\u2018", "\u02BC", "`", "\u00B4"}) {
            builder.add(apostrophe, "'");
        }
        builder.add("\u0301", ""); // combining acute (stress mark)
        builder.add("\u00AD", ""); // soft hyphen
        builder.add("ґ", "г");
        builder.add("Ґ", "Г");
        return builder.build();
    }

    @Override
    protected Reader initReader(String fieldName, Reader reader) {
        return new MappingCharFilter(NORMALIZER, reader);
    }

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        Tokenizer source = new StandardTokenizer();
        TokenStream result = new LowerCaseFilter(source);
        result = new StopFilter(result, stopwords);
        result = new MorfologikFilter(result, dictionary);
        return new TokenStreamComponents(source, result);
    }
}
