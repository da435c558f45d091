package newsmon.analysis;

import java.util.List;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.BooleanSetting;
import org.elasticsearch.plugin.settings.ListSetting;

/** Settings of {@code polish_stop}, with analysis-stempel's names and defaults. */
@AnalysisSettings
public interface PolishStopSettings {
    /** Stop words, or {@code _polish_} (the default) / {@code _none_}; empty means the default. */
    @ListSetting(path = "stopwords")
    List<String> stopwords();

    @BooleanSetting(path = "ignore_case", defaultValue = false)
    boolean ignoreCase();

    /** Only {@code true} is supported (analysis-stempel's {@code false} needs Lucene's suggest module). */
    @BooleanSetting(path = "remove_trailing", defaultValue = true)
    boolean removeTrailing();

    /** Not supported (read as a list so that any value is seen and refused). */
    @ListSetting(path = "stopwords_path")
    List<String> stopwordsPath();
}
