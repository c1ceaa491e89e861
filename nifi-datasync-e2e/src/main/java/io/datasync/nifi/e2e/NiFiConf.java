package io.datasync.nifi.e2e;

import java.nio.file.Path;

/**
 * The conf files of a harness NiFi. NiFi's conf zip (nifi-resources) is not served by the registry, so these are
 * written here: a standalone node, plain HTTP on 127.0.0.1 only, no login (no HTTPS, so no authorizer is used),
 * small repositories, and logback without NiFi's per-process-group appender (its jar is not served either).
 */
final class NiFiConf {

    static final String AUTHORIZERS_XML = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <!-- Unused: this NiFi serves plain HTTP on 127.0.0.1 without login, so no authorizer is configured. -->
            <authorizers>
            </authorizers>
            """;

    static final String LOGIN_IDENTITY_PROVIDERS_XML = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <!-- Unused: no login on this local, loopback-only NiFi. -->
            <loginIdentityProviders>
            </loginIdentityProviders>
            """;

    private NiFiConf() {
    }

    /** The authorizer of a secured instance: the managed authorizer over NiFi's file-based users, groups and policies. */
    static final String MANAGED_AUTHORIZER = "managed-authorizer";

    /**
     * authorizers.xml of a secured instance: users, groups and policies in files under conf/ (NiFi's
     * FileUserGroupProvider and FileAccessPolicyProvider), managed through the REST API afterwards. The initial
     * administrator gets NiFi's administrator policies at the first start; every other user and policy is added by
     * an administrator (see {@link SecurityPolicies}).
     */
    static String securedAuthorizersXml(final Path confDir, final String adminIdentity) {
        return """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <!-- Written by the nifi-datasync e2e harness: file-based users, groups and policies. -->
                <authorizers>
                    <userGroupProvider>
                        <identifier>file-user-group-provider</identifier>
                        <class>org.apache.nifi.authorization.FileUserGroupProvider</class>
                        <property name="Users File">%1$s/users.xml</property>
                        <property name="Initial User Identity 1">%2$s</property>
                    </userGroupProvider>
                    <accessPolicyProvider>
                        <identifier>file-access-policy-provider</identifier>
                        <class>org.apache.nifi.authorization.FileAccessPolicyProvider</class>
                        <property name="User Group Provider">file-user-group-provider</property>
                        <property name="Authorizations File">%1$s/authorizations.xml</property>
                        <property name="Initial Admin Identity">%2$s</property>
                    </accessPolicyProvider>
                    <authorizer>
                        <identifier>%3$s</identifier>
                        <class>org.apache.nifi.authorization.StandardManagedAuthorizer</class>
                        <property name="Access Policy Provider">file-access-policy-provider</property>
                    </authorizer>
                </authorizers>
                """.formatted(confDir, xmlEscape(adminIdentity), MANAGED_AUTHORIZER);
    }

    /**
     * nifi.properties entries that turn the harness NiFi into a secured one: HTTPS only on 127.0.0.1, the keystore and
     * truststore of the run's test CA, client certificates as the way users authenticate, and the managed authorizer.
     */
    static java.util.Map<String, String> securedProperties(final int httpsPort, final TestPki pki) {
        final java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
        properties.put("nifi.web.http.host", "");
        properties.put("nifi.web.http.port", "");
        properties.put("nifi.web.https.host", "127.0.0.1");
        properties.put("nifi.web.https.port", Integer.toString(httpsPort));
        // Clients connect to the IP address, which TLS does not send as server name.
        properties.put("nifi.web.https.sni.required", "false");
        properties.put("nifi.web.https.sni.host.check", "false");
        properties.put("nifi.security.keystore", pki.server().keystore().toString());
        properties.put("nifi.security.keystoreType", "PKCS12");
        properties.put("nifi.security.keystorePasswd", pki.server().password());
        properties.put("nifi.security.keyPasswd", pki.server().password());
        properties.put("nifi.security.truststore", pki.truststore().toString());
        properties.put("nifi.security.truststoreType", "PKCS12");
        properties.put("nifi.security.truststorePasswd", pki.password());
        properties.put("nifi.security.user.authorizer", MANAGED_AUTHORIZER);
        properties.put("nifi.security.allow.anonymous.authentication", "false");
        properties.put("nifi.ui.banner.text", "nifi-datasync secured test NiFi (HTTPS, client certificates, 127.0.0.1 only)");
        return properties;
    }

    private static String xmlEscape(final String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String nifiProperties(final Path runDir, final Path home, final int httpPort, final String sensitivePropsKey) {
        final String run = runDir.toString();
        return """
                # Written by the nifi-datasync e2e harness (NiFiInstance). Local test/demo NiFi: plain HTTP on 127.0.0.1, no login.
                nifi.flow.configuration.file=%1$s/conf/flow.json.gz
                nifi.flow.configuration.archive.enabled=false
                nifi.flow.configuration.archive.dir=%1$s/conf/archive/
                nifi.flowcontroller.autoResumeState=true
                nifi.flowcontroller.graceful.shutdown.period=10 sec
                nifi.flowservice.writedelay.interval=500 ms
                nifi.administrative.yield.duration=5 sec
                nifi.bored.yield.duration=10 millis
                nifi.queue.backpressure.count=10000
                nifi.queue.backpressure.size=1 GB

                nifi.authorizer.configuration.file=%1$s/conf/authorizers.xml
                nifi.login.identity.provider.configuration.file=%1$s/conf/login-identity-providers.xml
                nifi.ui.banner.text=nifi-datasync local NiFi (no login, 127.0.0.1 only)
                nifi.nar.library.directory=%2$s/lib
                nifi.nar.library.autoload.directory=%1$s/extensions
                nifi.nar.working.directory=%1$s/work/nar/
                nifi.nar.unpack.uber.jar=false
                nifi.upload.working.directory=%1$s/work/uploads

                # Python extensions stay disabled: nifi.python.command is not set.
                nifi.python.framework.source.directory=%1$s/python/framework
                nifi.python.extensions.source.directory.default=%1$s/python/extensions
                nifi.python.working.directory=%1$s/work/python
                nifi.python.max.processes=1
                nifi.python.max.processes.per.extension.type=1

                nifi.state.management.configuration.file=%1$s/conf/state-management.xml
                nifi.state.management.provider.local=local-provider
                nifi.state.management.provider.cluster=zk-provider
                nifi.state.management.embedded.zookeeper.start=false

                nifi.database.directory=%1$s/database_repository

                nifi.flowfile.repository.implementation=org.apache.nifi.controller.repository.WriteAheadFlowFileRepository
                nifi.flowfile.repository.wal.implementation=org.apache.nifi.wali.SequentialAccessWriteAheadLog
                nifi.flowfile.repository.directory=%1$s/flowfile_repository
                nifi.flowfile.repository.checkpoint.interval=20 secs
                nifi.flowfile.repository.always.sync=false
                nifi.flowfile.repository.retain.orphaned.flowfiles=true
                nifi.swap.manager.implementation=org.apache.nifi.controller.FileSystemSwapManager
                nifi.queue.swap.threshold=20000

                nifi.content.repository.implementation=org.apache.nifi.controller.repository.FileSystemRepository
                nifi.content.claim.max.appendable.size=50 KB
                nifi.content.repository.directory.default=%1$s/content_repository
                nifi.content.repository.archive.max.retention.period=1 hours
                nifi.content.repository.archive.max.usage.percentage=90%%
                nifi.content.repository.archive.enabled=true
                nifi.content.repository.always.sync=false

                nifi.provenance.repository.implementation=org.apache.nifi.provenance.WriteAheadProvenanceRepository
                nifi.provenance.repository.directory.default=%1$s/provenance_repository
                nifi.provenance.repository.max.storage.time=1 days
                nifi.provenance.repository.max.storage.size=256 MB
                nifi.provenance.repository.rollover.time=10 secs
                nifi.provenance.repository.rollover.size=16 MB
                nifi.provenance.repository.query.threads=2
                nifi.provenance.repository.index.threads=1
                nifi.provenance.repository.compress.on.rollover=true
                nifi.provenance.repository.always.sync=false
                nifi.provenance.repository.indexed.fields=EventType, FlowFileUUID, Filename, ProcessorID, Relationship
                nifi.provenance.repository.indexed.attributes=
                nifi.provenance.repository.index.shard.size=64 MB
                nifi.provenance.repository.max.attribute.length=65536
                nifi.provenance.repository.concurrent.merge.threads=1

                nifi.components.status.repository.implementation=org.apache.nifi.controller.status.history.VolatileComponentStatusRepository
                nifi.components.status.repository.buffer.size=1440
                nifi.components.status.snapshot.frequency=1 min

                nifi.nar.persistence.provider.implementation=org.apache.nifi.nar.StandardNarPersistenceProvider
                nifi.nar.persistence.provider.properties.directory=%1$s/nar_repository
                nifi.asset.manager.implementation=org.apache.nifi.asset.StandardAssetManager
                nifi.asset.manager.properties.directory=%1$s/assets

                # Site-to-site off: no extra listening sockets.
                nifi.remote.input.host=127.0.0.1
                nifi.remote.input.secure=false
                nifi.remote.input.socket.port=
                nifi.remote.input.http.enabled=false

                nifi.web.http.host=127.0.0.1
                nifi.web.http.port=%3$d
                nifi.web.http.network.interface.default=
                nifi.web.https.host=
                nifi.web.https.port=
                nifi.web.jetty.working.directory=%1$s/work/jetty
                nifi.web.jetty.threads=50
                nifi.web.max.header.size=16 KB
                nifi.web.proxy.context.path=
                nifi.web.proxy.host=
                nifi.web.max.content.size=
                nifi.web.max.requests.per.second=30000
                nifi.web.max.access.token.requests.per.second=25
                nifi.web.request.timeout=60 secs
                nifi.web.request.ip.whitelist=
                nifi.web.should.send.server.version=true

                nifi.sensitive.props.key=%4$s
                nifi.sensitive.props.algorithm=NIFI_PBKDF2_AES_GCM_256
                nifi.security.keystore=
                nifi.security.keystoreType=
                nifi.security.keystorePasswd=
                nifi.security.keyPasswd=
                nifi.security.truststore=
                nifi.security.truststoreType=
                nifi.security.truststorePasswd=
                nifi.security.user.authorizer=
                nifi.security.allow.anonymous.authentication=false
                nifi.security.user.login.identity.provider=

                nifi.cluster.is.node=false
                nifi.cluster.protocol.is.secure=false
                nifi.zookeeper.connect.string=
                nifi.analytics.predict.enabled=false
                nifi.diagnostics.on.shutdown.enabled=false
                nifi.performance.tracking.percentage=0
                nifi.listener.bootstrap.port=0
                """.formatted(run, home.toString(), httpPort, sensitivePropsKey);
    }

    static String bootstrapConf(final Path home, final Path confDir, final Path logDir) {
        return """
                # Written by the nifi-datasync e2e harness. NiFi runs without its bootstrap (not served by the registry);
                # NiFiInstance launches org.apache.nifi.NiFi directly with these settings.
                java=%4$s
                lib.dir=%1$s/lib
                conf.dir=%2$s
                graceful.shutdown.seconds=20
                java.arg.2=-Xms512m
                java.arg.3=-Xmx1g
                java.arg.5=-Djava.awt.headless=true
                org.apache.nifi.bootstrap.config.log.dir=%3$s
                """.formatted(home, confDir, logDir, Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    static String stateManagementXml(final Path runDir) {
        return """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <stateManagement>
                    <local-provider>
                        <id>local-provider</id>
                        <class>org.apache.nifi.controller.state.providers.local.WriteAheadLocalStateProvider</class>
                        <property name="Directory">%s/state/local</property>
                        <property name="Always Sync">false</property>
                        <property name="Partitions">16</property>
                        <property name="Checkpoint Interval">2 mins</property>
                    </local-provider>
                    <cluster-provider>
                        <id>zk-provider</id>
                        <class>org.apache.nifi.controller.state.providers.zookeeper.ZooKeeperStateProvider</class>
                        <property name="Connect String"></property>
                        <property name="Root Node">/nifi</property>
                        <property name="Session Timeout">10 seconds</property>
                        <property name="Access Control">Open</property>
                    </cluster-provider>
                </stateManagement>
                """.formatted(runDir);
    }

    static String logbackXml(final Path logDir) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Written by the nifi-datasync e2e harness. No per-process-group appender: its jar is not served. -->
                <configuration scan="false">
                    <shutdownHook class="ch.qos.logback.core.hook.DefaultShutdownHook"/>
                    <contextListener class="ch.qos.logback.classic.jul.LevelChangePropagator">
                        <resetJUL>true</resetJUL>
                    </contextListener>
                    <appender name="APP_FILE" class="ch.qos.logback.core.FileAppender">
                        <file>%1$s/nifi-app.log</file>
                        <append>true</append>
                        <encoder class="ch.qos.logback.classic.encoder.PatternLayoutEncoder">
                            <pattern>%%date %%level [%%thread] %%logger{40} %%msg%%n</pattern>
                        </encoder>
                    </appender>
                    <appender name="USER_FILE" class="ch.qos.logback.core.FileAppender">
                        <file>%1$s/nifi-user.log</file>
                        <append>true</append>
                        <encoder class="ch.qos.logback.classic.encoder.PatternLayoutEncoder">
                            <pattern>%%date %%level [%%thread] %%logger{40} %%msg%%n</pattern>
                        </encoder>
                    </appender>
                    <logger name="org.apache.nifi" level="INFO"/>
                    <logger name="org.apache.nifi.processors" level="WARN"/>
                    <logger name="org.apache.nifi.processors.standard.LogAttribute" level="INFO"/>
                    <logger name="org.apache.nifi.controller.repository.StandardProcessSession" level="WARN"/>
                    <logger name="io.datasync.nifi" level="INFO"/>
                    <logger name="org.apache.zookeeper" level="ERROR"/>
                    <logger name="org.apache.curator" level="ERROR"/>
                    <logger name="org.eclipse.jetty" level="WARN"/>
                    <logger name="org.springframework" level="ERROR"/>
                    <logger name="org.apache.nifi.web.security" level="INFO" additivity="false">
                        <appender-ref ref="USER_FILE"/>
                    </logger>
                    <logger name="org.apache.nifi.web.api.config" level="INFO" additivity="false">
                        <appender-ref ref="USER_FILE"/>
                    </logger>
                    <root level="INFO">
                        <appender-ref ref="APP_FILE"/>
                    </root>
                </configuration>
                """.formatted(logDir);
    }
}
