package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The role set docs/security.md documents, applied to a secured NiFi through its REST API by an administrator, the way
 * one would in the UI (Users, then Policies). Each role is a NiFi user group; the policies go to the group, so adding a
 * person to a role is one membership change.
 * <ul>
 *   <li>{@value #OPERATORS}: see the flow and its components (configuration, status, bulletins), start and stop them
 *       (NiFi's "operate the component" policy) and read the counters. No provenance, no FlowFile content: a queue
 *       listing or a provenance query is refused.</li>
 *   <li>{@value #DATA_STEWARDS}: see the flow, query provenance and view its data (attributes and content), the audit
 *       point for personal data. No operate, no change.</li>
 *   <li>{@value #ADMINISTRATORS}: everything an operator and a steward can, plus changing the flow, its parameters,
 *       users and policies. Only this group writes parameter contexts.</li>
 * </ul>
 */
public final class SecurityPolicies {

    public static final String OPERATORS = "datasync-operators";
    public static final String DATA_STEWARDS = "datasync-data-stewards";
    public static final String ADMINISTRATORS = "datasync-administrators";

    private final NiFiRestClient admin;

    public SecurityPolicies(final NiFiRestClient admin) {
        this.admin = admin;
    }

    /**
     * Creates the users (by certificate identity, e.g. {@code CN=operator}), the three groups with their members and
     * the group policies over the whole flow (the root process group; child groups inherit). The administrator
     * identity must be the initial administrator the client authenticates as.
     */
    public void apply(final String administrator, final List<String> operators, final List<String> dataStewards) {
        final String root = admin.rootGroupId();
        final String adminGroup = group(ADMINISTRATORS, List.of(userId(administrator)));
        final String operatorGroup = group(OPERATORS, operators.stream().map(this::userId).toList());
        final String stewardGroup = group(DATA_STEWARDS, dataStewards.stream().map(this::userId).toList());

        final Map<String, List<String>> grants = new LinkedHashMap<>();
        final String flow = "/process-groups/" + root;
        for (final String group : List.of(operatorGroup, stewardGroup, adminGroup)) {
            grants.computeIfAbsent("read /flow", k -> new ArrayList<>()).add(group);
            grants.computeIfAbsent("read " + flow, k -> new ArrayList<>()).add(group);
        }
        for (final String group : List.of(operatorGroup, adminGroup)) {
            grants.computeIfAbsent("write /operation" + flow, k -> new ArrayList<>()).add(group);
            grants.computeIfAbsent("read /counters", k -> new ArrayList<>()).add(group);
            grants.computeIfAbsent("read /system", k -> new ArrayList<>()).add(group);
        }
        for (final String group : List.of(stewardGroup, adminGroup)) {
            grants.computeIfAbsent("read /provenance", k -> new ArrayList<>()).add(group);
            grants.computeIfAbsent("read /provenance-data" + flow, k -> new ArrayList<>()).add(group);
            grants.computeIfAbsent("read /data" + flow, k -> new ArrayList<>()).add(group);
        }
        for (final String policy : List.of("write " + flow, "write /data" + flow, "read /parameter-contexts", "write /parameter-contexts",
                "read /controller", "write /controller", "read /tenants", "write /tenants", "read /policies", "write /policies",
                "write /counters", "write /restricted-components")) {
            grants.computeIfAbsent(policy, k -> new ArrayList<>()).add(adminGroup);
        }
        grants.forEach((policy, groups) -> {
            final int space = policy.indexOf(' ');
            grant(policy.substring(0, space), policy.substring(space + 1), groups);
        });
    }

    /** The id of the user with this identity, created if missing. */
    public String userId(final String identity) {
        for (final JsonNode user : admin.get("/tenants/users").path("users")) {
            if (identity.equals(user.path("component").path("identity").asText())) {
                return user.path("id").asText();
            }
        }
        final ObjectNode body = entity();
        body.putObject("component").put("identity", identity);
        return admin.post("/tenants/users", body).path("id").asText();
    }

    private String group(final String name, final List<String> userIds) {
        final ObjectNode body = entity();
        final ObjectNode component = body.putObject("component").put("identity", name);
        final ArrayNode users = component.putArray("users");
        userIds.forEach(id -> users.addObject().put("id", id));
        return admin.post("/tenants/user-groups", body).path("id").asText();
    }

    /**
     * Adds the groups to the policy on exactly this resource: updates it when it exists (the initial administrator's
     * policies do), creates it otherwise. A GET for a resource without its own policy answers the inherited one (or
     * 404), which must not be updated in its place.
     */
    private void grant(final String action, final String resource, final List<String> groupIds) {
        JsonNode existing = null;
        try {
            final JsonNode found = admin.get("/policies/" + action + resource);
            if (resource.equals(found.path("component").path("resource").asText())) {
                existing = found;
            }
        } catch (final NiFiRestClient.NiFiApiException e) {
            if (e.statusCode() != 404) {
                throw e;
            }
        }
        if (existing == null) {
            final ObjectNode body = entity();
            final ObjectNode component = body.putObject("component").put("action", action).put("resource", resource);
            final ArrayNode groups = component.putArray("userGroups");
            groupIds.forEach(id -> groups.addObject().put("id", id));
            component.putArray("users");
            admin.post("/policies", body);
            return;
        }
        final ObjectNode body = entity();
        body.set("revision", existing.path("revision").deepCopy());
        final ObjectNode component = body.putObject("component").put("id", existing.path("id").asText());
        final ArrayNode groups = component.putArray("userGroups");
        existing.path("component").path("userGroups").forEach(group -> groups.addObject().put("id", group.path("id").asText()));
        groupIds.forEach(id -> groups.addObject().put("id", id));
        final ArrayNode users = component.putArray("users");
        existing.path("component").path("users").forEach(user -> users.addObject().put("id", user.path("id").asText()));
        admin.put("/policies/" + existing.path("id").asText(), body);
    }

    private ObjectNode entity() {
        final ObjectNode body = admin.mapper().createObjectNode();
        body.putObject("revision").put("version", 0);
        return body;
    }
}
