package io.datasync.nifi.common;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The oracle is the list the paths were built from: RecordPaths whose commas sit inside brackets, calls and quoted
 * text (quotes escaped inside, text ending in an escaped backslash), joined with the separators users type. Splitting
 * the joined text must give the paths back, in order.
 */
class PathListSplitterPropertyTest {

    @Property(tries = 1_000)
    void splittingGivesBackThePathsTheListWasMadeOf(@ForAll("pathLists") final List<String> paths, @ForAll("separators") final String separator) {
        assertEquals(paths, PathListSplitter.split(String.join(separator, paths)));
    }

    @Example
    void aQuotedTextEndingInAnEscapedBackslashClosesItsQuote() {
        assertEquals(List.of("/a[. = 'x\\\\']", "/b"), PathListSplitter.split("/a[. = 'x\\\\'], /b"));
    }

    @Provide
    Arbitrary<String> separators() {
        return Arbitraries.of(",", ", ", " , ", ",\n", "\t,");
    }

    @Provide
    Arbitrary<List<String>> pathLists() {
        return path().list().ofMinSize(1).ofMaxSize(5);
    }

    private static Arbitrary<String> path() {
        final Arbitrary<String> field = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(6).map(name -> "/" + name);
        final Arbitrary<String> text = Arbitraries.of("x", "x,y", "a, b", "it\\'s, fine", "q\"uote,", "back\\\\", ",", "(,]", "[,)");
        final Arbitrary<String> quoted = Combinators.combine(text, Arbitraries.of('\'', '"')).as((t, q) -> q == '"'
                ? "\"" + t.replace("\\'", "'").replace("\"", "\\\"") + "\""
                : "'" + t + "'");
        final Arbitrary<String> indexed = Combinators.combine(field, Arbitraries.integers().between(0, 9), Arbitraries.integers().between(0, 9))
                .as((f, i, j) -> f + "[" + i + ", " + j + "]");
        final Arbitrary<String> predicate = Combinators.combine(field, quoted).as((f, q) -> f + "[. = " + q + "]");
        final Arbitrary<String> call = Combinators.combine(field, field, quoted).as((a, b, q) -> "concat(" + a + ", " + q + ", " + b + ")");
        final Arbitrary<String> nested = Combinators.combine(field, quoted, field).as((a, q, b) -> "replaceRegex(" + a + "[0, 1], " + q + ", " + b + ")");
        return Arbitraries.oneOf(field, indexed, predicate, call, nested);
    }
}
