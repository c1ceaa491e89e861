package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * A small client for the NiFi 2.x REST API, enough to import flow definitions, build flows, configure, run and
 * observe them. Every call is synchronous and every wait is bounded; failures throw {@link NiFiApiException} with
 * the status and body NiFi returned.
 */
public final class NiFiRestClient {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final String apiUrl;
    private final HttpClient http;
    private final ObjectMapper mapper = new ObjectMapper();
    private final String clientId = UUID.randomUUID().toString();

    public NiFiRestClient(final String apiUrl) {
        this.apiUrl = apiUrl.endsWith("/") ? apiUrl.substring(0, apiUrl.length() - 1) : apiUrl;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** A client of a secured NiFi: {@code sslContext} trusts NiFi's certificate and presents the user's client certificate. */
    public NiFiRestClient(final String apiUrl, final javax.net.ssl.SSLContext sslContext) {
        this.apiUrl = apiUrl.endsWith("/") ? apiUrl.substring(0, apiUrl.length() - 1) : apiUrl;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(sslContext).build();
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    // ---------------------------------------------------------------- generic calls

    public JsonNode get(final String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public JsonNode post(final String path, final JsonNode body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public JsonNode put(final String path, final JsonNode body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public JsonNode delete(final String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    public String getText(final String path) {
        final HttpResponse<String> response = exchange(HttpRequest.newBuilder(uri(path)).GET());
        return response.body();
    }

    // ---------------------------------------------------------------- process groups and flow definitions

    public String rootGroupId() {
        return get("/flow/process-groups/root").path("processGroupFlow").path("id").asText();
    }

    /** Creates an empty child group and returns its id. */
    public String createProcessGroup(final String parentGroupId, final String name) {
        final ObjectNode body = entity();
        body.putObject("component").put("name", name).set("position", position(0, 0));
        return post("/process-groups/" + parentGroupId + "/process-groups", body).path("id").asText();
    }

    /**
     * Imports a flow definition (the JSON NiFi's "Download flow definition" produces, and what templates/ holds)
     * into a new child group of {@code parentGroupId}, as the UI's upload does. Returns the new group's id.
     */
    public String uploadFlowDefinition(final String parentGroupId, final String groupName, final byte[] flowDefinitionJson) {
        final String boundary = "----nifi-e2e-" + UUID.randomUUID();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final Map<String, String> fields = new LinkedHashMap<>();
        fields.put("groupName", groupName);
        fields.put("positionX", "0.0");
        fields.put("positionY", "0.0");
        fields.put("clientId", clientId);
        fields.forEach((name, value) -> writePart(body, boundary, "Content-Disposition: form-data; name=\"" + name + "\"",
                value.getBytes(StandardCharsets.UTF_8)));
        writePart(body, boundary, "Content-Disposition: form-data; name=\"file\"; filename=\"" + groupName + ".json\"\r\n"
                + "Content-Type: application/json", flowDefinitionJson);
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri("/process-groups/" + parentGroupId + "/process-groups/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        return send(request).path("id").asText();
    }

    /** The group's flow definition as NiFi's "Download flow definition" returns it (sensitive values removed). */
    public byte[] downloadFlowDefinition(final String groupId) {
        return getText("/process-groups/" + groupId + "/download?includeReferencedServices=true").getBytes(StandardCharsets.UTF_8);
    }

    public JsonNode processGroup(final String groupId) {
        return get("/process-groups/" + groupId);
    }

    // ---------------------------------------------------------------- components

    /** Creates a processor; {@code properties} use the properties' internal names. Returns the processor id. */
    public String createProcessor(final String groupId, final String type, final String name, final Map<String, String> properties,
                                  final String schedulingPeriod, final Set<String> autoTerminatedRelationships) {
        final ObjectNode body = entity();
        final ObjectNode component = body.putObject("component");
        component.put("type", type).put("name", name).set("position", position(0, 0));
        final ObjectNode config = component.putObject("config");
        config.set("properties", mapper.valueToTree(properties));
        if (schedulingPeriod != null) {
            config.put("schedulingPeriod", schedulingPeriod);
        }
        final ArrayNode autoTerminate = config.putArray("autoTerminatedRelationships");
        autoTerminatedRelationships.forEach(autoTerminate::add);
        final String id = post("/process-groups/" + groupId + "/processors", body).path("id").asText();
        requireKnownProperties(name + " (" + type + ")", processorDescriptors(id), properties.keySet());
        return id;
    }

    /**
     * Creates a processor with dynamic properties too (match rules, survivorship rules, queries): {@code properties}
     * must be the component's own descriptors, {@code dynamicProperties} are set as given. Returns the processor id.
     */
    public String createProcessor(final String groupId, final String type, final String name, final Map<String, String> properties,
                                  final Map<String, String> dynamicProperties, final String schedulingPeriod,
                                  final Set<String> autoTerminatedRelationships) {
        final String id = createProcessor(groupId, type, name, properties, schedulingPeriod, autoTerminatedRelationships);
        if (!dynamicProperties.isEmpty()) {
            final JsonNode current = get("/processors/" + id);
            final ObjectNode body = mapper.createObjectNode();
            body.set("revision", current.path("revision"));
            final ObjectNode component = body.putObject("component");
            component.put("id", id);
            component.putObject("config").set("properties", mapper.valueToTree(dynamicProperties));
            put("/processors/" + id, body);
        }
        return id;
    }

    /** The id of the processor with this name in the group (and below); fails when there is not exactly one. */
    public String processorIdByName(final String groupId, final String name) {
        final List<String> ids = new ArrayList<>();
        for (final JsonNode processor : get("/process-groups/" + groupId + "/processors?includeDescendantGroups=true").path("processors")) {
            if (name.equals(processor.path("component").path("name").asText())) {
                ids.add(processor.path("id").asText());
            }
        }
        if (ids.size() != 1) {
            throw new IllegalArgumentException(ids.size() + " processors named '" + name + "' in group " + groupId);
        }
        return ids.get(0);
    }

    /** Starts or stops one processor ({@code RUNNING} or {@code STOPPED}); when stopping, waits (bounded) until no thread is active. */
    public void setProcessorRunStatus(final String processorId, final String state, final Duration timeout) {
        final JsonNode current = get("/processors/" + processorId);
        final ObjectNode body = mapper.createObjectNode();
        body.set("revision", current.path("revision"));
        body.put("state", state);
        put("/processors/" + processorId + "/run-status", body);
        if ("STOPPED".equals(state)) {
            waitUntil(timeout, () -> {
                final JsonNode status = get("/processors/" + processorId).path("status");
                return "Stopped".equals(status.path("runStatus").asText())
                        && status.path("aggregateSnapshot").path("activeThreadCount").asInt() == 0;
            }, "processor " + processorId + " stopped");
        }
    }

    /** FlowFiles queued in the connections of the group that lead into the given component. */
    public int flowFilesQueuedInto(final String groupId, final String destinationId) {
        int queued = 0;
        for (final JsonNode connection : get("/process-groups/" + groupId + "/connections").path("connections")) {
            if (destinationId.equals(connection.path("component").path("destination").path("id").asText())) {
                queued += connection.path("status").path("aggregateSnapshot").path("flowFilesQueued").asInt();
            }
        }
        return queued;
    }

    /** Creates a controller service in the group; returns its id. */
    public String createControllerService(final String groupId, final String type, final String name, final Map<String, String> properties) {
        final ObjectNode body = entity();
        final ObjectNode component = body.putObject("component");
        component.put("type", type).put("name", name);
        component.set("properties", mapper.valueToTree(properties));
        final String id = post("/process-groups/" + groupId + "/controller-services", body).path("id").asText();
        requireKnownProperties(name + " (" + type + ")", controllerServiceDescriptors(id), properties.keySet());
        return id;
    }

    /**
     * Creates a controller service with dynamic properties too (a connection pool's driver properties):
     * {@code properties} must be the service's own descriptors, {@code dynamicProperties} are set as given.
     */
    public String createControllerService(final String groupId, final String type, final String name, final Map<String, String> properties,
                                          final Map<String, String> dynamicProperties) {
        final String id = createControllerService(groupId, type, name, properties);
        if (!dynamicProperties.isEmpty()) {
            final JsonNode current = get("/controller-services/" + id);
            final ObjectNode body = mapper.createObjectNode();
            body.set("revision", current.path("revision"));
            final ObjectNode component = body.putObject("component");
            component.put("id", id);
            component.set("properties", mapper.valueToTree(dynamicProperties));
            put("/controller-services/" + id, body);
        }
        return id;
    }

    /** Connects two processors of the same group for the given relationships; returns the connection id. */
    public String connect(final String groupId, final String sourceId, final String destinationId, final Set<String> relationships) {
        return connect(groupId, sourceId, "PROCESSOR", destinationId, "PROCESSOR", relationships);
    }

    /**
     * Connects two components of the same group ({@code PROCESSOR}, {@code FUNNEL}, {@code INPUT_PORT}, ...);
     * {@code relationships} is empty unless the source is a processor. Returns the connection id.
     */
    public String connect(final String groupId, final String sourceId, final String sourceType, final String destinationId,
                          final String destinationType, final Set<String> relationships) {
        final ObjectNode body = entity();
        final ObjectNode component = body.putObject("component");
        component.putObject("source").put("id", sourceId).put("groupId", groupId).put("type", sourceType);
        component.putObject("destination").put("id", destinationId).put("groupId", groupId).put("type", destinationType);
        final ArrayNode selected = component.putArray("selectedRelationships");
        relationships.forEach(selected::add);
        return post("/process-groups/" + groupId + "/connections", body).path("id").asText();
    }

    /**
     * Creates a funnel; a connection into a funnel with nothing after it parks FlowFiles in a visible queue
     * (how these flows keep failures for inspection instead of dropping them). Returns the funnel id.
     */
    public String createFunnel(final String groupId) {
        final ObjectNode body = entity();
        body.putObject("component").set("position", position(0, 0));
        return post("/process-groups/" + groupId + "/funnels", body).path("id").asText();
    }

    /** Creates an input port ({@code INPUT_PORT}) of a child group; returns its id. */
    public String createInputPort(final String groupId, final String name) {
        final ObjectNode body = entity();
        body.putObject("component").put("name", name).set("position", position(0, 0));
        return post("/process-groups/" + groupId + "/input-ports", body).path("id").asText();
    }

    /** Creates an output port ({@code OUTPUT_PORT}) of a child group; returns its id. */
    public String createOutputPort(final String groupId, final String name) {
        final ObjectNode body = entity();
        body.putObject("component").put("name", name).set("position", position(0, 0));
        return post("/process-groups/" + groupId + "/output-ports", body).path("id").asText();
    }

    /**
     * Connects components that may sit in different groups (a processor to a child group's input port, a child's
     * output port to a funnel of its parent); the connection belongs to {@code connectionGroupId}. Returns its id.
     */
    public String connectAcrossGroups(final String connectionGroupId, final String sourceId, final String sourceGroupId, final String sourceType,
                                      final String destinationId, final String destinationGroupId, final String destinationType,
                                      final Set<String> relationships) {
        final ObjectNode body = entity();
        final ObjectNode component = body.putObject("component");
        component.putObject("source").put("id", sourceId).put("groupId", sourceGroupId).put("type", sourceType);
        component.putObject("destination").put("id", destinationId).put("groupId", destinationGroupId).put("type", destinationType);
        final ArrayNode selected = component.putArray("selectedRelationships");
        relationships.forEach(selected::add);
        return post("/process-groups/" + connectionGroupId + "/connections", body).path("id").asText();
    }

    /**
     * Sets a group's FlowFile concurrency ({@code UNBOUNDED}, {@code SINGLE_FLOWFILE_PER_NODE}, ...) and outbound
     * policy ({@code STREAM_WHEN_AVAILABLE}, {@code BATCH_OUTPUT}).
     */
    public void setFlowFileConcurrency(final String groupId, final String concurrency, final String outboundPolicy) {
        final JsonNode group = processGroup(groupId);
        final ObjectNode body = mapper.createObjectNode();
        body.set("revision", group.path("revision"));
        body.putObject("component").put("id", groupId).put("flowfileConcurrency", concurrency).put("flowfileOutboundPolicy", outboundPolicy);
        put("/process-groups/" + groupId, body);
    }

    /**
     * Changes a processor's configuration: {@code config} holds only the keys to change (e.g. {@code penaltyDuration},
     * {@code concurrentlySchedulableTaskCount}, {@code comments}).
     */
    public void updateProcessorConfig(final String processorId, final Map<String, Object> config) {
        final JsonNode processor = get("/processors/" + processorId);
        final ObjectNode body = mapper.createObjectNode();
        body.set("revision", processor.path("revision"));
        final ObjectNode component = body.putObject("component");
        component.put("id", processorId);
        component.set("config", mapper.valueToTree(config));
        put("/processors/" + processorId, body);
    }

    /**
     * Moves a component on the canvas. {@code kind} is the REST collection: {@code processors}, {@code funnels},
     * {@code input-ports}, {@code output-ports}, {@code process-groups}.
     */
    public void moveComponent(final String kind, final String id, final double x, final double y) {
        final JsonNode current = get("/" + kind + "/" + id);
        final ObjectNode body = mapper.createObjectNode();
        body.set("revision", current.path("revision"));
        body.putObject("component").put("id", id).set("position", position(x, y));
        put("/" + kind + "/" + id, body);
    }

    /** Sets a connection's back pressure object threshold (FlowFiles queued before its source stops being scheduled). */
    public void setBackPressureObjectThreshold(final String connectionId, final long threshold) {
        final JsonNode current = get("/connections/" + connectionId);
        final ObjectNode body = mapper.createObjectNode();
        body.set("revision", current.path("revision"));
        body.putObject("component").put("id", connectionId).put("backPressureObjectThreshold", threshold);
        put("/connections/" + connectionId, body);
    }

    /** The property descriptors (internal name to descriptor) of a processor. */
    public JsonNode processorDescriptors(final String processorId) {
        return get("/processors/" + processorId).path("component").path("config").path("descriptors");
    }

    /** The property descriptors (internal name to descriptor) of a controller service. */
    public JsonNode controllerServiceDescriptors(final String serviceId) {
        return get("/controller-services/" + serviceId).path("component").path("descriptors");
    }

    /**
     * Fails when a property name is not one of the component's own descriptors: NiFi would silently turn it into a
     * dynamic property (properties are keyed by their internal name, which often differs from the display name).
     */
    public static void requireKnownProperties(final String component, final JsonNode descriptors, final Set<String> names) {
        final List<String> unknown = names.stream().filter(name -> {
            final JsonNode descriptor = descriptors.path(name);
            return descriptor.isMissingNode() || descriptor.path("dynamic").asBoolean(false);
        }).toList();
        if (!unknown.isEmpty()) {
            final List<String> known = new ArrayList<>();
            descriptors.fieldNames().forEachRemaining(known::add);
            throw new IllegalArgumentException(component + ": unknown properties " + unknown + "; its properties are " + known);
        }
    }

    /** Validation errors of every processor and controller service in the group (and below), by component name. */
    public Map<String, List<String>> validationErrors(final String groupId) {
        final Map<String, List<String>> errors = new LinkedHashMap<>();
        for (final JsonNode processor : get("/process-groups/" + groupId + "/processors?includeDescendantGroups=true").path("processors")) {
            // NiFi does not validate a disabled processor (it cannot run): what it reports is whatever was found when the
            // processor was created, possibly before its connections were (ftp-batch-ingest ships "List drops (SFTP)"
            // disabled). It is validated once enabled, which is when it counts.
            if (!"DISABLED".equals(processor.path("component").path("state").asText())) {
                collectErrors(errors, processor.path("component"));
            }
        }
        for (final JsonNode service : controllerServices(groupId)) {
            collectErrors(errors, service.path("component"));
        }
        return errors;
    }

    private static void collectErrors(final Map<String, List<String>> errors, final JsonNode component) {
        final JsonNode list = component.path("validationErrors");
        if (list.isArray() && !list.isEmpty()) {
            final List<String> messages = new ArrayList<>();
            list.forEach(message -> messages.add(message.asText()));
            errors.put(component.path("name").asText(), messages);
        }
    }

    // ---------------------------------------------------------------- parameters

    /** The id of the parameter context bound to the group, or null. */
    public String parameterContextId(final String groupId) {
        final JsonNode context = processGroup(groupId).path("component").path("parameterContext");
        return context.isMissingNode() || context.isNull() ? null : context.path("id").asText();
    }

    /** Creates a parameter context with the given values (names in {@code sensitive} marked sensitive); returns its id. */
    public String createParameterContext(final String name, final Map<String, String> values, final Set<String> sensitive) {
        final ObjectNode body = entity();
        final ObjectNode component = body.putObject("component");
        component.put("name", name);
        component.set("parameters", parameters(values, sensitive));
        return post("/parameter-contexts", body).path("id").asText();
    }

    /** Binds a parameter context to a group. */
    public void bindParameterContext(final String groupId, final String parameterContextId) {
        final JsonNode group = processGroup(groupId);
        final ObjectNode body = mapper.createObjectNode();
        body.set("revision", group.path("revision"));
        body.putObject("component").put("id", groupId).putObject("parameterContext").put("id", parameterContextId);
        put("/process-groups/" + groupId, body);
    }

    /**
     * Sets parameter values in the context bound to the group (adding parameters that do not exist yet), through
     * NiFi's asynchronous update request, and waits until it completes. NiFi itself stops and restarts the
     * components that reference the changed parameters.
     */
    public void setParameters(final String groupId, final Map<String, String> values, final Set<String> sensitive) {
        final String contextId = parameterContextId(groupId);
        if (contextId == null) {
            throw new IllegalStateException("Group " + groupId + " has no parameter context");
        }
        final JsonNode context = get("/parameter-contexts/" + contextId);
        final ObjectNode body = mapper.createObjectNode();
        body.set("revision", context.path("revision"));
        body.put("id", contextId);
        final ObjectNode component = body.putObject("component");
        component.put("id", contextId);
        component.set("parameters", parameters(values, sensitive));
        final JsonNode request = post("/parameter-contexts/" + contextId + "/update-requests", body).path("request");
        final String requestPath = "/parameter-contexts/" + contextId + "/update-requests/" + request.path("requestId").asText();
        try {
            waitUntil(Duration.ofSeconds(120), () -> {
                final JsonNode current = get(requestPath).path("request");
                if (!current.path("failureReason").isMissingNode() && !current.path("failureReason").isNull()) {
                    throw new NiFiApiException("Parameter update failed: " + current.path("failureReason").asText());
                }
                return current.path("complete").asBoolean();
            }, "parameter context update " + contextId);
        } finally {
            delete(requestPath);
        }
    }

    private ArrayNode parameters(final Map<String, String> values, final Set<String> sensitive) {
        final ArrayNode parameters = mapper.createArrayNode();
        values.forEach((name, value) -> {
            final ObjectNode parameter = parameters.addObject().putObject("parameter");
            parameter.put("name", name).put("sensitive", sensitive.contains(name)).put("value", value);
        });
        return parameters;
    }

    // ---------------------------------------------------------------- running

    public JsonNode controllerServices(final String groupId) {
        return get("/flow/process-groups/" + groupId + "/controller-services?includeAncestorGroups=false&includeDescendantGroups=true")
                .path("controllerServices");
    }

    /** Enables every controller service in the group (and below) and waits until all are ENABLED. */
    public void enableControllerServices(final String groupId, final Duration timeout) {
        enableControllerServicesExcept(groupId, Set.of(), timeout);
    }

    /**
     * Enables every controller service in the group (and below) except those named in {@code leftDisabled}, and waits
     * until those are ENABLED. E.g. a template's in-flow MapCacheServer on a cluster, where one cache host outside the
     * flow serves every node.
     */
    public void enableControllerServicesExcept(final String groupId, final Set<String> leftDisabled, final Duration timeout) {
        final ObjectNode body = mapper.createObjectNode().put("id", groupId).put("state", "ENABLED");
        final ObjectNode components = body.putObject("components");
        final Set<String> seen = new HashSet<>();
        for (final JsonNode service : controllerServices(groupId)) {
            final String name = service.path("component").path("name").asText();
            seen.add(name);
            if (!leftDisabled.contains(name)) {
                components.set(service.path("id").asText(), service.path("revision"));
            }
        }
        if (!seen.containsAll(leftDisabled)) {
            throw new IllegalArgumentException("No controller service named " + leftDisabled + " in " + groupId + "; found " + seen);
        }
        put("/flow/process-groups/" + groupId + "/controller-services", body);
        waitUntil(timeout, () -> {
            for (final JsonNode service : controllerServices(groupId)) {
                final String state = service.path("component").path("state").asText();
                if (leftDisabled.contains(service.path("component").path("name").asText()) ? !"DISABLED".equals(state) : !"ENABLED".equals(state)) {
                    return false;
                }
            }
            return true;
        }, "controller services of " + groupId + " ENABLED except " + leftDisabled + "; validation: " + describeErrors(groupId));
    }

    public void disableControllerServices(final String groupId, final Duration timeout) {
        setControllerServicesState(groupId, "DISABLED");
        waitUntil(timeout, () -> {
            for (final JsonNode service : controllerServices(groupId)) {
                if (!"DISABLED".equals(service.path("component").path("state").asText())) {
                    return false;
                }
            }
            return true;
        }, "controller services of " + groupId + " DISABLED");
    }

    /** Enables or disables one controller service ({@code ENABLED} or {@code DISABLED}) and waits (bounded) until it is. */
    public void setControllerServiceState(final String serviceId, final String state, final Duration timeout) {
        final JsonNode current = get("/controller-services/" + serviceId);
        final ObjectNode body = mapper.createObjectNode();
        body.set("revision", current.path("revision"));
        body.put("state", state);
        put("/controller-services/" + serviceId + "/run-status", body);
        waitUntil(timeout, () -> state.equals(get("/controller-services/" + serviceId).path("component").path("state").asText()),
                "controller service " + serviceId + " " + state);
    }

    /** The id of the controller service named {@code name} in the group (and below); fails when there is not exactly one. */
    public String controllerServiceIdByName(final String groupId, final String name) {
        final List<String> ids = new ArrayList<>();
        for (final JsonNode service : controllerServices(groupId)) {
            if (name.equals(service.path("component").path("name").asText())) {
                ids.add(service.path("id").asText());
            }
        }
        if (ids.size() != 1) {
            throw new IllegalArgumentException(ids.size() + " controller services named '" + name + "' in group " + groupId);
        }
        return ids.get(0);
    }

    private void setControllerServicesState(final String groupId, final String state) {
        final ObjectNode body = mapper.createObjectNode().put("id", groupId).put("state", state);
        put("/flow/process-groups/" + groupId + "/controller-services", body);
    }

    private String describeErrors(final String groupId) {
        try {
            return validationErrors(groupId).toString();
        } catch (final RuntimeException e) {
            return "(unavailable: " + e.getMessage() + ")";
        }
    }

    /** Schedules every processor of the group (and below) to run. */
    public void startProcessGroup(final String groupId) {
        put("/flow/process-groups/" + groupId, mapper.createObjectNode().put("id", groupId).put("state", "RUNNING"));
    }

    /** Stops every processor of the group and waits (bounded) until none is running or has active threads. */
    public void stopProcessGroup(final String groupId, final Duration timeout) {
        put("/flow/process-groups/" + groupId, mapper.createObjectNode().put("id", groupId).put("state", "STOPPED"));
        waitUntil(timeout, () -> {
            final JsonNode snapshot = groupStatus(groupId);
            return snapshot.path("activeThreadCount").asInt() == 0 && runningCount(groupId) == 0;
        }, "group " + groupId + " stopped");
    }

    private int runningCount(final String groupId) {
        return get("/flow/process-groups/" + groupId).path("processGroupFlow").path("flow").path("processors").findValues("runStatus")
                .stream().filter(status -> "Running".equals(status.asText())).toList().size();
    }

    /** The group's recursive aggregate status snapshot (flowFilesQueued, activeThreadCount, bytesIn, ...). */
    public JsonNode groupStatus(final String groupId) {
        return get("/flow/process-groups/" + groupId + "/status?recursive=true").path("processGroupStatus").path("aggregateSnapshot");
    }

    /** Per-processor snapshots (name, type, flowFilesIn/Out, ...) found anywhere below the group's status. */
    public List<JsonNode> processorStatuses(final String groupId) {
        final List<JsonNode> statuses = new ArrayList<>();
        groupStatus(groupId).findValues("processorStatusSnapshots").forEach(array -> array.forEach(entry ->
                statuses.add(entry.path("processorStatusSnapshot"))));
        return statuses;
    }

    /**
     * Waits until the group is quiet: nothing queued anywhere below it and no active threads, for
     * {@code consecutivePolls} polls in a row, polled every {@code pollInterval}, at most {@code timeout}.
     */
    public void waitUntilQuiet(final String groupId, final int consecutivePolls, final Duration pollInterval, final Duration timeout) {
        final int[] quietPolls = {0};
        waitUntil(timeout, () -> {
            final JsonNode snapshot = groupStatus(groupId);
            final boolean quiet = snapshot.path("flowFilesQueued").asInt() == 0 && snapshot.path("activeThreadCount").asInt() == 0;
            quietPolls[0] = quiet ? quietPolls[0] + 1 : 0;
            if (quietPolls[0] >= consecutivePolls) {
                return true;
            }
            NiFiInstance.sleep(pollInterval.toMillis());
            return false;
        }, "group " + groupId + " quiet for " + consecutivePolls + " polls");
    }

    // ---------------------------------------------------------------- observing

    /** Provenance events (newest first, at most {@code maxResults}), optionally of one processor; the query is deleted afterwards. */
    public List<JsonNode> provenanceEvents(final String processorId, final int maxResults) {
        final ObjectNode body = mapper.createObjectNode();
        final ObjectNode request = body.putObject("provenance").putObject("request");
        request.put("maxResults", maxResults);
        request.put("summarize", true);
        request.put("incrementalResults", false);
        if (processorId != null) {
            request.putObject("searchTerms").putObject("ProcessorID").put("value", processorId).put("inverse", false);
        }
        final String queryId = post("/provenance", body).path("provenance").path("id").asText();
        final String path = "/provenance/" + queryId;
        try {
            final JsonNode[] finished = new JsonNode[1];
            waitUntil(Duration.ofSeconds(60), () -> {
                final JsonNode provenance = get(path).path("provenance");
                if (provenance.path("finished").asBoolean()) {
                    finished[0] = provenance;
                    return true;
                }
                NiFiInstance.sleep(250);
                return false;
            }, "provenance query " + queryId);
            final List<JsonNode> events = new ArrayList<>();
            finished[0].path("results").path("provenanceEvents").forEach(events::add);
            return events;
        } finally {
            delete(path);
        }
    }

    /** The bulletins on NiFi's bulletin board (each with level, message, sourceName, sourceId, groupId). */
    public List<JsonNode> bulletins() {
        final List<JsonNode> bulletins = new ArrayList<>();
        get("/flow/bulletin-board?limit=1000").path("bulletinBoard").path("bulletins")
                .forEach(entry -> bulletins.add(entry.path("bulletin").isMissingNode() ? entry : entry.path("bulletin")));
        return bulletins;
    }

    /** NiFi's counters (each with {@code context}, {@code name}, {@code valueCount}), since NiFi started. */
    public List<JsonNode> counters() {
        final List<JsonNode> counters = new ArrayList<>();
        get("/counters").path("counters").path("aggregateSnapshot").path("counters").forEach(counters::add);
        return counters;
    }

    /** Every processor type NiFi loaded, each with {@code type} and {@code bundle} (group, artifact, version). */
    public List<JsonNode> processorTypes() {
        final List<JsonNode> types = new ArrayList<>();
        get("/flow/processor-types").path("processorTypes").forEach(types::add);
        return types;
    }

    public List<JsonNode> controllerServiceTypes() {
        final List<JsonNode> types = new ArrayList<>();
        get("/flow/controller-service-types").path("controllerServiceTypes").forEach(types::add);
        return types;
    }

    // ---------------------------------------------------------------- plumbing

    /** Polls {@code condition} until true or the timeout passes (then throws). The condition paces itself or is polled every 500 ms. */
    public static void waitUntil(final Duration timeout, final BooleanSupplier condition, final String what) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out after " + timeout + " waiting for " + what);
            }
            NiFiInstance.sleep(500);
        }
    }

    private ObjectNode entity() {
        final ObjectNode body = mapper.createObjectNode();
        body.putObject("revision").put("version", 0).put("clientId", clientId);
        return body;
    }

    private ObjectNode position(final double x, final double y) {
        return mapper.createObjectNode().put("x", x).put("y", y);
    }

    private static void writePart(final ByteArrayOutputStream body, final String boundary, final String headers, final byte[] content) {
        body.writeBytes(("--" + boundary + "\r\n" + headers + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }

    private URI uri(final String path) {
        return URI.create(apiUrl + path);
    }

    private JsonNode send(final HttpRequest.Builder request) {
        final HttpResponse<String> response = exchange(request);
        final String body = response.body();
        if (body == null || body.isBlank()) {
            return mapper.createObjectNode();
        }
        try {
            return mapper.readTree(body);
        } catch (final IOException e) {
            throw new NiFiApiException("Not JSON from " + response.request().uri() + ": " + abbreviate(body));
        }
    }

    private HttpResponse<String> exchange(final HttpRequest.Builder request) {
        final HttpRequest built = request.timeout(REQUEST_TIMEOUT).header("Accept", "application/json, */*").build();
        try {
            final HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() / 100 != 2) {
                throw new NiFiApiException(built.method() + " " + built.uri() + " -> " + response.statusCode() + ": " + abbreviate(response.body()),
                        response.statusCode());
            }
            return response;
        } catch (final IOException e) {
            throw new UncheckedIOException(built.method() + " " + built.uri() + " failed", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NiFiApiException("Interrupted during " + built.method() + " " + built.uri());
        }
    }

    static String urlEncode(final String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String abbreviate(final String text) {
        return text == null ? "" : text.length() > 2000 ? text.substring(0, 2000) + "..." : text;
    }

    /** A REST call NiFi answered with an error, or a NiFi-side failure reported through the API. */
    public static final class NiFiApiException extends RuntimeException {
        private final int statusCode;

        public NiFiApiException(final String message) {
            this(message, -1);
        }

        public NiFiApiException(final String message, final int statusCode) {
            super(message);
            this.statusCode = statusCode;
        }

        /** The HTTP status NiFi answered, or -1 when the failure was not an HTTP error status. */
        public int statusCode() {
            return statusCode;
        }
    }
}
