package io.datasync.nifi;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards the layout described in docs/architecture.md by reading the main source files: the plain-Java rule
 * packages never reach NiFi or the processor layer, a processor's sub-package uses no other processor's
 * sub-package (only {@code processors.common} and {@code processors.http}), and no two packages of the module
 * depend on each other, directly or through others.
 */
class ArchitectureTest {

    /** The plain-Java rule packages, under io.datasync.nifi. */
    private static final List<String> RULE_PACKAGES = List.of("consent", "fetch", "identity", "merge", "webhook", "common", "push", "audit");

    private static final Path SOURCE_ROOT = Path.of("src", "main", "java", "io", "datasync", "nifi");

    private static final Pattern BLOCK_COMMENT = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL);
    private static final Pattern LINE_COMMENT = Pattern.compile("//[^\\n]*");
    private static final Pattern FORBIDDEN = Pattern.compile("\\b(org\\.apache\\.nifi|io\\.datasync\\.nifi\\.processors)\\b");
    private static final Pattern RULE_PACKAGE_REFERENCE = Pattern.compile("\\bio\\.datasync\\.nifi\\.([a-z]+)\\b");

    private static final String BASE = "io.datasync.nifi";
    private static final String PROCESSORS = BASE + ".processors";
    /** The sub-packages of the processor layer that every processor's sub-package may use. */
    private static final Set<String> SHARED_PROCESSOR_PACKAGES = Set.of(PROCESSORS + ".common", PROCESSORS + ".http");
    private static final Pattern PACKAGE_DECLARATION = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** A reference to a type of this bundle: the package is what comes before the first capitalised segment. */
    private static final Pattern BUNDLE_REFERENCE = Pattern.compile("\\b(io\\.datasync\\.nifi(?:\\.[a-z][a-z0-9_]*)*)\\.[A-Z]");

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
    void processorSubPackagesUseOnlyTheSharedProcessorPackages() throws IOException {
        assertEquals(List.of(), subPackageViolations(packageDependencies(mainSources())),
                "a processor's sub-package may use only processors.common, processors.http and the rule packages (see docs/architecture.md)");
    }

    @Test
    void noPackageCycles() throws IOException {
        assertEquals(List.of(), cycles(packageDependencies(mainSources())), "package cycles (see docs/architecture.md)");
    }

    @Test
    void checksCatchViolations() {
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("audit/AuditSettings.java", """
                package io.datasync.nifi.processors.audit;
                import io.datasync.nifi.processors.dedup.CustomerDedupDescriptors;
                import io.datasync.nifi.processors.common.PiiSafeErrors;
                import io.datasync.nifi.identity.BlockedValues;
                class AuditSettings { }
                """);
        sources.put("dedup/CustomerDedupDescriptors.java", """
                package io.datasync.nifi.processors.dedup;
                /** see {@link io.datasync.nifi.processors.audit.AuditSettings} */
                class CustomerDedupDescriptors { Object o = io.datasync.nifi.processors.CustomerDedup.class; }
                """);
        sources.put("CustomerDedup.java", """
                package io.datasync.nifi.processors;
                import io.datasync.nifi.processors.dedup.CustomerDedupDescriptors;
                class CustomerDedup { }
                """);
        sources.put("common/PiiSafeErrors.java", """
                package io.datasync.nifi.processors.common;
                import static io.datasync.nifi.processors.http.HttpApiClients.period;
                class PiiSafeErrors { }
                """);
        Map<String, Set<String>> dependencies = packageDependencies(sources);

        assertEquals(Set.of(PROCESSORS + ".dedup", PROCESSORS + ".common", BASE + ".identity"), dependencies.get(PROCESSORS + ".audit"));
        assertEquals(Set.of(PROCESSORS), dependencies.get(PROCESSORS + ".dedup"), "a Javadoc link is not a dependency");
        assertEquals(List.of(
                PROCESSORS + ".audit -> " + PROCESSORS + ".dedup",
                PROCESSORS + ".dedup -> " + PROCESSORS), subPackageViolations(dependencies));
        assertEquals(List.of(PROCESSORS + " -> " + PROCESSORS + ".dedup -> " + PROCESSORS), cycles(dependencies));

        dependencies.get(PROCESSORS + ".dedup").clear();
        assertEquals(List.of(), cycles(dependencies));
        dependencies.computeIfAbsent(PROCESSORS + ".http", key -> new TreeSet<>()).add(PROCESSORS + ".common");
        assertEquals(List.of(PROCESSORS + ".common -> " + PROCESSORS + ".http -> " + PROCESSORS + ".common"), cycles(dependencies),
                "a cycle through more than one edge is found too");
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

    /** Every main source file, by its path under io/datasync/nifi, with its text. */
    private static Map<String, String> mainSources() throws IOException {
        Map<String, String> sources = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(SOURCE_ROOT)) {
            for (Path file : walk.filter(path -> path.toString().endsWith(".java")).toList()) {
                sources.put(SOURCE_ROOT.relativize(file).toString(), Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        assertTrue(sources.size() > 50, "expected the module's main sources under " + SOURCE_ROOT.toAbsolutePath());
        return sources;
    }

    /** Each package's references (imports, static imports and qualified names outside comments) to other packages of the bundle. */
    private static Map<String, Set<String>> packageDependencies(Map<String, String> sources) {
        Map<String, Set<String>> dependencies = new TreeMap<>();
        for (Map.Entry<String, String> source : sources.entrySet()) {
            String code = strip(source.getValue());
            Matcher declaration = PACKAGE_DECLARATION.matcher(code);
            assertTrue(declaration.find(), "no package declaration in " + source.getKey());
            String from = declaration.group(1);
            Set<String> used = dependencies.computeIfAbsent(from, key -> new TreeSet<>());
            Matcher reference = BUNDLE_REFERENCE.matcher(code.substring(declaration.end()));
            while (reference.find()) {
                if (!reference.group(1).equals(from)) {
                    used.add(reference.group(1));
                }
            }
        }
        return dependencies;
    }

    /** Edges from a processor's sub-package to a package of the processor layer other than the shared ones. */
    private static List<String> subPackageViolations(Map<String, Set<String>> dependencies) {
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, Set<String>> entry : dependencies.entrySet()) {
            String from = entry.getKey();
            if (!from.startsWith(PROCESSORS + ".") || SHARED_PROCESSOR_PACKAGES.contains(from)) {
                continue;
            }
            for (String to : entry.getValue()) {
                boolean processorLayer = to.equals(PROCESSORS) || to.startsWith(PROCESSORS + ".");
                if (processorLayer && !SHARED_PROCESSOR_PACKAGES.contains(to)) {
                    violations.add(from + " -> " + to);
                }
            }
        }
        for (String shared : SHARED_PROCESSOR_PACKAGES) {
            for (String to : dependencies.getOrDefault(shared, Set.of())) {
                boolean processorLayer = to.equals(PROCESSORS) || to.startsWith(PROCESSORS + ".");
                if (processorLayer && !SHARED_PROCESSOR_PACKAGES.contains(to)) {
                    violations.add(shared + " -> " + to);
                }
            }
        }
        return violations;
    }

    /** One cycle per strongly connected group of packages (Tarjan), each written from its smallest package back to it. */
    private static List<String> cycles(Map<String, Set<String>> dependencies) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> groups = new ArrayList<>();
        for (String node : dependencies.keySet()) {
            if (!index.containsKey(node)) {
                connect(node, dependencies, index, low, stack, onStack, groups);
            }
        }
        List<String> cycles = new ArrayList<>();
        for (Set<String> group : groups) {
            String start = group.iterator().next();
            cycles.add(String.join(" -> ", pathWithin(group, start, dependencies)));
        }
        cycles.sort(null);
        return cycles;
    }

    private static void connect(String node, Map<String, Set<String>> dependencies, Map<String, Integer> index, Map<String, Integer> low,
                                Deque<String> stack, Set<String> onStack, List<Set<String>> groups) {
        index.put(node, index.size());
        low.put(node, index.get(node));
        stack.push(node);
        onStack.add(node);
        for (String next : dependencies.getOrDefault(node, Set.of())) {
            if (!index.containsKey(next)) {
                connect(next, dependencies, index, low, stack, onStack, groups);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (onStack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            Set<String> group = new TreeSet<>();
            String member;
            do {
                member = stack.pop();
                onStack.remove(member);
                group.add(member);
            } while (!member.equals(node));
            if (group.size() > 1 || dependencies.getOrDefault(node, Set.of()).contains(node)) {
                groups.add(group);
            }
        }
    }

    /** A shortest way from start back to start inside one strongly connected group. */
    private static List<String> pathWithin(Set<String> group, String start, Map<String, Set<String>> dependencies) {
        Map<String, String> previous = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            String node = queue.poll();
            for (String next : dependencies.getOrDefault(node, Set.of())) {
                if (next.equals(start)) {
                    List<String> path = new ArrayList<>(List.of(start));
                    for (String step = node; !step.equals(start); step = previous.get(step)) {
                        path.add(1, step);
                    }
                    path.add(start);
                    return path;
                }
                if (group.contains(next) && !previous.containsKey(next)) {
                    previous.put(next, node);
                    queue.add(next);
                }
            }
        }
        throw new IllegalStateException("no cycle through " + start);
    }

    /** The file's text without comments, so a Javadoc mention is not a dependency. */
    private static String code(Path file) throws IOException {
        return strip(Files.readString(file, StandardCharsets.UTF_8));
    }

    private static String strip(String source) {
        return LINE_COMMENT.matcher(BLOCK_COMMENT.matcher(source).replaceAll(" ")).replaceAll(" ");
    }
}
