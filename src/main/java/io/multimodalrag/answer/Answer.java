package io.multimodalrag.answer;

import io.multimodalrag.search.SearchHit;
import java.util.List;

/**
 * The vision LLM's answer to a question about a photo.
 *
 * @param text    the answer
 * @param sources the knowledge-base images it was grounded in, best first; empty when none matched
 * @param model   the model that answered, as the upstream names it
 * @param usage   tokens billed; null when the upstream did not say
 * @param tookMs  milliseconds from receiving the question to the end of the answer
 */
public record Answer(String text, List<SearchHit> sources, String model, ChatCompletionUsage usage, long tookMs) {
}
