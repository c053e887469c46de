package io.navstar.agent.config;

import com.fasterxml.jackson.databind.JsonMappingException;

/** Turns Jackson's errors into the one-line messages navstar prints: the JSON path of the value, and why. */
public final class JsonErrors {
    private JsonErrors() {
    }

    /** The dotted path of the value an error is about ({@code ports[0].labels}), or {@code (top)}. */
    public static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "(top)" : path.toString();
    }

    /** Jackson's message up to its first line break or source excerpt: one line, no input echoed back. */
    public static String firstLine(String message) {
        String line = message == null ? "" : message.lines().findFirst().orElse("");
        int source = line.indexOf(" (start marker at");
        return source < 0 ? line : line.substring(0, source);
    }
}
