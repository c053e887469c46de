package io.navstar.agent.config;

/**
 * A config the agent refuses: the message names the file, the key (as a dotted path, with the line when the
 * parser knows it) and what was expected. Thrown before anything is created.
 */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}
