package io.datasync.nifi;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards the layout described in docs/architecture.md by reading the main source files: the plain-Java rule
 * packages never reach NiFi or the processor layer, and the rule packages depend on each other without cycles.
 */
class ArchitectureTest {

    /** The plain-Java rule packages, under io.datasync.nifi. */
    private static final List<String> RULE_PACKAGES = List.of("consent", "fetch", "identity", "merge", "webhook", "common", "push", "audit");

    private static final Path SOURCE_ROOT = Path.of("src", "main", "java", "io", "datasync", "nifi");

    private static final Pattern BLOCK_COMMENT = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL);
    private static final Pattern LINE_COMMENT = Pattern.compile("//[^\\n]*");
    private static final Pattern FORBIDDEN = Pattern.compile("\\b(org\\.apache\\.nifi|io\\.datasync\\.nifi\\.processors)\\b");
    private static final Pattern RULE_PACKAGE_REFERENCE = Pattern.compile("\\bio\\.datasync\\.nifi\\.([a-z]+)\\b");

    @Test
    void rulePackagesUseNeitherNiFiNorTheProcessorLayer() throws IOException {
        List<String> violations = new ArrayList<>();
        for (String rulePackage : RULE_PACKAGES) {
            for (Path file : javaFiles(rulePackage)) {
                Matcher matcher = FORBIDDEN.matcher(code(file));
                while (matcher.find()) {
                    violations.add(SOURCE_ROOT.relativize(file) + " refers to " + matcher.group(1));
                }
            }
        }
        assertEquals(List.of(), violations, "rule packages must stay plain Java (see docs/architecture.md)");
    }

    @Test
    void rulePackagesDependOnEachOtherWithoutCycles() throws IOException {
        Map<String, Set<String>> dependencies = ruleDependencies();
        for (String rulePackage : RULE_PACKAGES) {
            List<String> cycle = findCycle(rulePackage, rulePackage, dependencies, new ArrayList<>(List.of(rulePackage)));
            assertTrue(cycle.isEmpty(), "cycle between rule packages: " + String.join(" -> ", cycle));
        }
        assertEquals(Set.of(), dependencies.get("common"), "common is the base of the rule packages and uses none of them");
    }

    @Test
    void scannerSeesForbiddenReferencesInImportsAndCodeButNotInComments() {
        assertTrue(FORBIDDEN.matcher(strip("import org.apache.nifi.processor.ProcessContext;")).find());
        assertTrue(FORBIDDEN.matcher(strip("import static io.datasync.nifi.processors.ConsentFilter.READER;")).find());
        assertTrue(FORBIDDEN.matcher(strip("Object o = (org.apache.nifi.flowfile.FlowFile) x;")).find());
        assertTrue(!FORBIDDEN.matcher(strip("/** like {@link org.apache.nifi.Foo} */ int a; // org.apache.nifi")).find());
        assertTrue(!FORBIDDEN.matcher(strip("import io.datasync.nifi.processorsx.Other;")).find());
    }

    /** Each rule package's references to the other rule packages, read from its main sources. */
    private static Map<String, Set<String>> ruleDependencies() throws IOException {
        Map<String, Set<String>> dependencies = new LinkedHashMap<>();
        for (String rulePackage : RULE_PACKAGES) {
            Set<String> used = new TreeSet<>();
            for (Path file : javaFiles(rulePackage)) {
                Matcher matcher = RULE_PACKAGE_REFERENCE.matcher(code(file));
                while (matcher.find()) {
                    String target = matcher.group(1);
                    if (!target.equals(rulePackage) && RULE_PACKAGES.contains(target)) {
                        used.add(target);
                    }
                }
            }
            dependencies.put(rulePackage, used);
        }
        return dependencies;
    }

    private static List<String> findCycle(String start, String current, Map<String, Set<String>> dependencies,
                                          List<String> path) {
        for (String next : dependencies.get(current)) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(next);
                return cycle;
            }
            if (!path.contains(next)) {
                path.add(next);
                List<String> cycle = findCycle(start, next, dependencies, path);
                if (!cycle.isEmpty()) {
                    return cycle;
                }
                path.remove(path.size() - 1);
            }
        }
        return List.of();
    }

    private static List<Path> javaFiles(String rulePackage) throws IOException {
        Path directory = SOURCE_ROOT.resolve(rulePackage);
        assertTrue(Files.isDirectory(directory), "missing source directory " + directory.toAbsolutePath());
        List<Path> files;
        try (Stream<Path> walk = Files.walk(directory)) {
            files = walk.filter(path -> path.toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(!files.isEmpty(), "no sources found in " + directory.toAbsolutePath());
        return files;
    }

    /** The file's text without comments, so a Javadoc mention is not a dependency. */
    private static String code(Path file) throws IOException {
        return strip(Files.readString(file, StandardCharsets.UTF_8));
    }

    private static String strip(String source) {
        return LINE_COMMENT.matcher(BLOCK_COMMENT.matcher(source).replaceAll(" ")).replaceAll(" ");
    }
}
