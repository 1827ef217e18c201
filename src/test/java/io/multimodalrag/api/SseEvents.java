package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Server-sent events parsed from a response body, in order. */
final class SseEvents {

    /** One event: its name ({@code message} when unnamed) and its data lines joined by newlines. */
    record Event(String name, String data) {
    }

    private SseEvents() {
    }

    static List<Event> parse(String body) {
        List<Event> events = new ArrayList<>();
        String name = null;
        StringBuilder data = null;
        for (String line : body.split("\r?\n", -1)) {
            if (line.isEmpty()) {
                if (data != null) {
                    events.add(new Event(name == null ? "message" : name, data.toString()));
                }
                name = null;
                data = null;
            } else if (line.startsWith("event:")) {
                name = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                String value = line.substring(5);
                value = value.startsWith(" ") ? value.substring(1) : value;
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
        }
        if (data != null) {
            events.add(new Event(name == null ? "message" : name, data.toString()));
        }
        return events;
    }

    /** Asserts that {@code body} is exactly one {@code error} event and returns the problem it carries. */
    static JsonNode onlyErrorProblem(String body) {
        List<Event> events = parse(body);
        assertEquals(List.of("error"), events.stream().map(Event::name).toList(), body);
        return FakeVisionLlm.json(events.get(0).data());
    }
}
