package newsmon.analysis;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import morfologik.stemming.Dictionary;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.WordlistLoader;

/**
 * Stop word lists and the Ukrainian dictionary, read once from this plugin's own jars through this
 * class (all the plugin's jars form one module, so its resources are visible to it).
 */
final class Resources {
    private Resources() {}

    private static final class Ukrainian {
        static final CharArraySet STOPWORDS = snowballWords("/org/apache/lucene/analysis/uk/stopwords.txt");
        static final Dictionary DICTIONARY = dictionary("/ua/net/nlp/ukrainian.dict", "/ua/net/nlp/ukrainian.info");
    }

    private static final class Belarusian {
        static final CharArraySet STOPWORDS = plainWords("/newsmon/analysis/belarusian_stopwords.txt");
    }

    static CharArraySet ukrainianStopwords() {
        return Ukrainian.STOPWORDS;
    }

    static Dictionary ukrainianDictionary() {
        return Ukrainian.DICTIONARY;
    }

    static CharArraySet belarusianStopwords() {
        return Belarusian.STOPWORDS;
    }

    private static InputStream open(String name) throws IOException {
        InputStream stream = Resources.class.getResourceAsStream(name);
        if (stream == null) {
            throw new IOException("resource " + name + " is missing from the newsmon-analysis plugin: rebuild it");
        }
        return stream;
    }

    private static CharArraySet snowballWords(String name) {
        try (Reader reader = new InputStreamReader(open(name), StandardCharsets.UTF_8)) {
            return CharArraySet.unmodifiableSet(WordlistLoader.getSnowballWordSet(reader));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    private static CharArraySet plainWords(String name) {
        try (Reader reader = new InputStreamReader(open(name), StandardCharsets.UTF_8)) {
            return CharArraySet.unmodifiableSet(WordlistLoader.getWordSet(reader, "#"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    private static Dictionary dictionary(String fsa, String metadata) {
        try (InputStream fsaStream = open(fsa); InputStream metadataStream = open(metadata)) {
            return Dictionary.read(fsaStream, metadataStream);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Ukrainian dictionary " + fsa, e);
        }
    }
}
