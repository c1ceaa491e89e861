package io.datasync.nifi.benchmarks;

import java.util.ArrayList;
import java.util.List;

/** Builds the Markdown report: headings, paragraphs and pipe tables. */
final class Markdown {

    private final StringBuilder text = new StringBuilder();
    private List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    Markdown heading(final String title) {
        flushTable();
        text.append("\n### ").append(title).append("\n\n");
        return this;
    }

    Markdown paragraph(final String paragraph) {
        flushTable();
        text.append(paragraph).append("\n\n");
        return this;
    }

    Markdown table(final String... columns) {
        flushTable();
        header = List.of(columns);
        return this;
    }

    Markdown row(final String... cells) {
        rows.add(List.of(cells));
        return this;
    }

    private void flushTable() {
        if (header == null) {
            return;
        }
        text.append('|');
        header.forEach(column -> text.append(' ').append(column).append(" |"));
        text.append("\n|");
        header.forEach(column -> text.append(" --- |"));
        text.append('\n');
        for (final List<String> row : rows) {
            text.append('|');
            row.forEach(cell -> text.append(' ').append(cell.replace("|", "\\|")).append(" |"));
            text.append('\n');
        }
        text.append('\n');
        header = null;
        rows.clear();
    }

    @Override
    public String toString() {
        flushTable();
        return text.toString();
    }
}
