package newsmon.analysis;

import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.IntSetting;

/** Settings of {@code length}, with analysis-common's names and defaults. */
@AnalysisSettings
public interface LengthSettings {
    @IntSetting(path = "min", defaultValue = 0)
    int min();

    @IntSetting(path = "max", defaultValue = Integer.MAX_VALUE)
    int max();
}
