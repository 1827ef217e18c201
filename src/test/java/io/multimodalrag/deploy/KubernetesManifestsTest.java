package io.multimodalrag.deploy;

import static io.multimodalrag.deploy.ManifestFiles.KUBERNETES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.multimodalrag.clip.Manifest;
import io.multimodalrag.clip.ModelDownloader;
import io.multimodalrag.config.RagConfig;
import io.multimodalrag.deploy.ManifestFiles.Document;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under docker/kubernetes/, read into fabric8's Kubernetes model and checked against
 * the application's own configuration, so that the two cannot drift apart: probe paths and the port
 * against smallrye-health and quarkus.http.port, every environment variable against the keys the
 * service reads (RagConfig and application.properties), the Ingress's body limit against
 * rag.upload.max-size, memory and CPU against the measurements in docs/BENCHMARKS.md and the model
 * manifest, volumes against the paths the ConfigMap points at.
 * (That docker/kubernetes/base/multimodal-rag.yml is what quarkus-kubernetes generates is checked
 * after packaging by {@link GeneratedManifestIT}.)
 */
class KubernetesManifestsTest {

    private static final Path BASE = KUBERNETES.resolve("base");
    private static final Path GPU = KUBERNETES.resolve("gpu");
    private static final Path POSTGRESQL = KUBERNETES.resolve("postgresql");
    private static final String IMAGE_PLACEHOLDER = "registry.example.com/your-team/multimodal-rag";
    private static final Set<String> KINDS = Set.of("Kustomization", "Deployment", "Service", "Ingress", "ConfigMap",
            "PersistentVolumeClaim", "HorizontalPodAutoscaler", "Secret", "Cluster");
    private static final long MIB = 1024 * 1024;

    /**
     * Measured with bench/memory.sh and the full-size ViT-B/32 (docs/BENCHMARKS.md): resident memory
     * after eight concurrent streams of ordinary uploads, and the peak with uploads of 49 megapixels
     * on both workers at a 1 GiB heap.
     */
    private static final long MEASURED_RSS_UNDER_LOAD = 1163 * MIB;
    private static final long MEASURED_RSS_PEAK = 1973 * MIB;
    /** Off-heap memory beyond the model's weights: ONNX Runtime's arena, the JVM's metaspace, code and threads. */
    private static final long NATIVE_BEYOND_WEIGHTS = 512 * MIB;
    /** Heap per image being decoded: the decoded pixels and one scaled copy, 4 bytes a pixel each (measured 7.6). */
    private static final long HEAP_BYTES_PER_PIXEL = 8;

    private static List<Document> documents(Path folder) {
        return ManifestFiles.yamlFiles(folder).stream().flatMap(f -> ManifestFiles.read(f).stream()).toList();
    }

    private static Document only(Path folder, String kind) {
        List<Document> found = documents(folder).stream().filter(d -> d.kind().equals(kind)).toList();
        assertEquals(1, found.size(), "expected one " + kind + " under " + folder + ", found " + found.size());
        return found.get(0);
    }

    private static JsonNode kustomization(Path folder) {
        List<Document> documents = ManifestFiles.read(folder.resolve("kustomization.yaml"));
        assertEquals(1, documents.size());
        return documents.get(0).node();
    }

    private static List<String> textList(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(n -> texts.add(n.asText()));
        return texts;
    }

    private static Deployment deployment() {
        return only(BASE, "Deployment").as(Deployment.class);
    }

    private static Container serviceContainer(Deployment deployment) {
        String name = ConfigurationKeys.applicationProperties().getProperty("quarkus.application.name");
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no container named " + name + " (quarkus.application.name)"));
    }

    private static Container initContainer(Deployment deployment) {
        List<Container> init = deployment.getSpec().getTemplate().getSpec().getInitContainers();
        assertEquals(1, init.size(), "one init container fills the data volume");
        return init.get(0);
    }

    private static Map<String, String> configMapData() {
        return only(BASE, "ConfigMap").as(ConfigMap.class).getData();
    }

    private static Secret secretExample() {
        return only(KUBERNETES, "Secret").as(Secret.class);
    }

    private static Deployment gpuPatch() {
        return only(GPU, "Deployment").as(Deployment.class);
    }

    private static Deployment postgresqlPatch() {
        return only(POSTGRESQL, "Deployment").as(Deployment.class);
    }

    private static Map<String, String> postgresqlConfigMapData() {
        return only(POSTGRESQL, "ConfigMap").as(ConfigMap.class).getData();
    }

    private static int httpPort() {
        return Integer.parseInt(ConfigurationKeys.applicationProperties().getProperty("quarkus.http.port", "8080"));
    }

    /** The service's configuration as the ConfigMap sets it, through the real mapping: bad values fail here. */
    private static RagConfig configuredByConfigMap() {
        Map<String, String> keys = ConfigurationKeys.byEnvName();
        Map<String, String> values = new HashMap<>();
        configMapData().forEach((env, value) -> {
            String key = keys.get(env);
            if (key != null && key.startsWith("rag.")) {
                values.put(key, value);
            }
        });
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(RagConfig.class)
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(values, "multimodal-rag-config", 300))
                .build();
        return config.getConfigMapping(RagConfig.class);
    }

    private static long bytes(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity).longValue();
    }

    private static BigDecimal amount(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity);
    }

    private static Optional<String> env(Container container, String name) {
        return container.getEnv() == null ? Optional.empty()
                : container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst();
    }

    @Test
    void everyFileParsesIntoTheKubernetesModel() {
        List<Document> all = documents(KUBERNETES);
        assertTrue(all.size() >= 10, "expected the base, the GPU overlay and the Secret example, found " + all.size());
        for (Document document : all) {
            assertTrue(KINDS.contains(document.kind()), document.file() + ": unexpected kind '" + document.kind() + "'");
            Object typed = switch (document.kind()) {
                case "Deployment" -> document.as(Deployment.class);
                case "Service" -> document.as(Service.class);
                case "Ingress" -> document.as(Ingress.class);
                case "ConfigMap" -> document.as(ConfigMap.class);
                case "PersistentVolumeClaim" -> document.as(PersistentVolumeClaim.class);
                case "HorizontalPodAutoscaler" -> document.as(HorizontalPodAutoscaler.class);
                case "Secret" -> document.as(Secret.class);
                default -> document.node();
            };
            assertNotNull(typed);
            if (!document.kind().equals("Kustomization")) {
                assertFalse(document.name().isBlank(), document.file() + ": a " + document.kind() + " without a name");
            }
        }
    }

    @Test
    void theKustomizationsNameEveryManifestAndOnlyFilesThatExist() {
        for (Document kustomization : documents(KUBERNETES).stream().filter(d -> d.kind().equals("Kustomization")).toList()) {
            Path folder = kustomization.file().getParent();
            for (JsonNode resource : kustomization.node().path("resources")) {
                assertTrue(Files.exists(folder.resolve(resource.asText())), kustomization.file() + " names " + resource.asText());
            }
            for (JsonNode patch : kustomization.node().path("patches")) {
                if (patch.has("path")) {
                    assertTrue(Files.exists(folder.resolve(patch.get("path").asText())), kustomization.file() + " names " + patch);
                }
            }
        }
        Set<String> listed = new TreeSet<>();
        listed.addAll(textList(kustomization(BASE).path("resources")));
        Set<String> present = new TreeSet<>();
        for (Path file : ManifestFiles.yamlFiles(BASE)) {
            if (!file.getFileName().toString().startsWith("kustomization.")) {
                present.add(file.getFileName().toString());
            }
        }
        assertEquals(present, listed, "every manifest in base/ is applied, and nothing else");
        assertFalse(listed.stream().anyMatch(f -> f.contains("secret")), "the Secret example must never be applied over real values");
    }

    @Test
    void probesAreTheHealthEndpointsOnTheHttpPort() {
        Properties app = ConfigurationKeys.applicationProperties();
        String root = "/" + app.getProperty("quarkus.http.non-application-root-path", "q") + "/"
                + app.getProperty("quarkus.smallrye-health.root-path", "health") + "/";
        Container container = serviceContainer(deployment());
        int port = httpPort();

        assertProbe(container.getLivenessProbe(), root + app.getProperty("quarkus.smallrye-health.liveness-path", "live"), port);
        assertProbe(container.getReadinessProbe(), root + app.getProperty("quarkus.smallrye-health.readiness-path", "ready"), port);
        assertProbe(container.getStartupProbe(), root + app.getProperty("quarkus.smallrye-health.startup-path", "started"), port);

        assertTrue(container.getPorts().stream().anyMatch(p -> p.getContainerPort() == port && "http".equals(p.getName())),
                "the container exposes quarkus.http.port " + port + " as 'http'");
        Service service = only(BASE, "Service").as(Service.class);
        ServicePort servicePort = service.getSpec().getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("the Service has no port named http"));
        assertEquals(port, servicePort.getTargetPort().getIntVal() != null ? servicePort.getTargetPort().getIntVal()
                : container.getPorts().stream().filter(p -> p.getName().equals(servicePort.getTargetPort().getStrVal()))
                        .findFirst().orElseThrow().getContainerPort());
        assertEquals(deployment().getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(
                service.getSpec().getSelector().entrySet()), true, "the Service selects the Deployment's pods");

        Ingress ingress = only(BASE, "Ingress").as(Ingress.class);
        ingress.getSpec().getRules().forEach(rule -> rule.getHttp().getPaths().forEach(path -> {
            assertEquals(service.getMetadata().getName(), path.getBackend().getService().getName());
            assertEquals(servicePort.getName(), path.getBackend().getService().getPort().getName());
        }));
    }

    private static void assertProbe(Probe probe, String path, int port) {
        assertNotNull(probe, "missing probe for " + path);
        assertEquals(path, probe.getHttpGet().getPath());
        assertEquals(port, probe.getHttpGet().getPort().getIntVal());
    }

    @Test
    void theStartupProbeLeavesTimeToLoadTheModelAndEmbedTheKnowledgeBase() {
        Container container = serviceContainer(deployment());
        Probe startup = container.getStartupProbe();
        int budget = startup.getInitialDelaySeconds() + startup.getPeriodSeconds() * startup.getFailureThreshold();
        // At 9 images/s on 2 cores (docs/BENCHMARKS.md), 10 minutes embed about 5,000 uncached images.
        assertTrue(budget >= 600, "the startup probe gives up after " + budget + " s");
        Probe liveness = container.getLivenessProbe();
        assertTrue(liveness.getPeriodSeconds() * liveness.getFailureThreshold() < budget,
                "liveness, which only starts after the startup probe succeeded, may be strict");
    }

    @Test
    void everyEnvironmentVariableSetsAKeyTheServiceReads() {
        Map<String, String> known = ConfigurationKeys.byEnvName();
        List<String> named = new ArrayList<>();
        Deployment deployment = deployment();
        List<Container> containers = new ArrayList<>(deployment.getSpec().getTemplate().getSpec().getContainers());
        containers.addAll(deployment.getSpec().getTemplate().getSpec().getInitContainers());
        containers.addAll(gpuPatch().getSpec().getTemplate().getSpec().getContainers());
        containers.addAll(postgresqlPatch().getSpec().getTemplate().getSpec().getContainers());
        for (Container container : containers) {
            if (container.getEnv() != null) {
                container.getEnv().forEach(e -> named.add(e.getName()));
            }
        }
        named.addAll(configMapData().keySet());
        named.addAll(postgresqlConfigMapData().keySet());
        named.addAll(secretExample().getStringData().keySet());

        List<String> unknown = named.stream().filter(n -> !known.containsKey(n)
                && !ConfigurationKeys.OUTSIDE_THE_APPLICATION.containsKey(n)).toList();
        assertEquals(List.of(), unknown, "environment variables that set no configuration key (a typo?); known: " + known.keySet());
        assertTrue(named.contains("RAG_LLM_API_KEY") && named.contains("RAG_ADMIN_TOKEN"), "the Secret carries both keys");
        assertTrue(known.containsKey("RAG_ADMIN_TOKEN"), "derived from RagConfig: " + known.keySet());

        String configMap = only(BASE, "ConfigMap").name();
        String secret = secretExample().getMetadata().getName();
        for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
            List<EnvFromSource> from = container.getEnvFrom();
            assertTrue(from.stream().anyMatch(f -> f.getConfigMapRef() != null && configMap.equals(f.getConfigMapRef().getName())),
                    container.getName() + " reads the ConfigMap " + configMap);
            assertTrue(from.stream().anyMatch(f -> f.getSecretRef() != null && secret.equals(f.getSecretRef().getName())),
                    container.getName() + " reads the Secret " + secret);
        }
        assertTrue(initContainer(deployment).getEnvFrom().stream()
                .anyMatch(f -> f.getConfigMapRef() != null && configMap.equals(f.getConfigMapRef().getName())),
                "the init container reads the same ConfigMap, so both agree on the paths");
    }

    @Test
    void theConfigMapsValuesAreValidForTheService() {
        RagConfig config = configuredByConfigMap();
        assertTrue(Set.of("fp32", "int8").contains(config.model().variant()), config.model().variant());
        assertTrue(Set.of("auto", "cpu", "cuda").contains(config.model().device()), config.model().device());
        String gpuDevice = env(gpuPatch().getSpec().getTemplate().getSpec().getContainers().get(0), "RAG_MODEL_DEVICE")
                .orElseThrow(() -> new AssertionError("the GPU overlay sets RAG_MODEL_DEVICE"));
        assertTrue(Set.of("auto", "cuda").contains(gpuDevice), gpuDevice);
        assertFalse(config.model().download().enabled(), "the init container downloads; the service's data mount is read-only");
    }

    @Test
    void theIngressLetsTheLargestUploadThrough() {
        long maxUpload = configuredByConfigMap().upload().maxSize().asLongValue();
        String bodySize = ingressAnnotation("nginx.ingress.kubernetes.io/proxy-body-size");
        assertNotNull(bodySize, "without proxy-body-size, ingress-nginx refuses bodies over 1 MB with its own 413");
        long allowed = nginxSize(bodySize);
        assertTrue(allowed == 0 || allowed >= maxUpload,
                "proxy-body-size " + bodySize + " is below rag.upload.max-size (" + maxUpload + " bytes)");
    }

    @Test
    void theIngressWaitsLongerThanAQuestionMayTake() {
        long totalSeconds = configuredByConfigMap().llm().totalTimeout().toSeconds();
        String readTimeout = ingressAnnotation("nginx.ingress.kubernetes.io/proxy-read-timeout");
        assertNotNull(readTimeout, "ingress-nginx's default of 60 s would cut off slow answers with its own 504");
        assertTrue(Long.parseLong(readTimeout.strip()) > totalSeconds, "proxy-read-timeout " + readTimeout
                + " s is not above rag.llm.total-timeout (" + totalSeconds + " s): the client would get the proxy's 504");
    }

    /** An annotation of the base's Ingress; null when it has none. */
    private static String ingressAnnotation(String name) {
        return only(BASE, "Ingress").as(Ingress.class).getMetadata().getAnnotations().get(name);
    }

    /** An nginx size: bytes, or a number with k, m or g (either case); 0 means no limit. */
    static long nginxSize(String size) {
        Matcher m = Pattern.compile("(\\d+)([kKmMgG]?)").matcher(size.strip());
        if (!m.matches()) {
            fail("not an nginx size: " + size);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> n * 1024;
            case "m" -> n * MIB;
            case "g" -> n * 1024 * MIB;
            default -> n;
        };
    }

    @Test
    void theVolumesHoldWhatTheConfigMapPointsAt() throws IOException {
        Deployment deployment = deployment();
        Container container = serviceContainer(deployment);
        Container init = initContainer(deployment);
        Map<String, String> data = configMapData();
        PersistentVolumeClaim claim = only(BASE, "PersistentVolumeClaim").as(PersistentVolumeClaim.class);
        Volume dataVolume = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getPersistentVolumeClaim() != null).findFirst()
                .orElseThrow(() -> new AssertionError("no PersistentVolumeClaim volume"));
        assertEquals(claim.getMetadata().getName(), dataVolume.getPersistentVolumeClaim().getClaimName());

        for (String key : List.of("RAG_MODEL_DIR", "RAG_KNOWLEDGE_BASE_DESCRIPTIONS")) {
            String path = data.get(key);
            assertNotNull(path, key);
            VolumeMount mount = mountHolding(container, path);
            assertEquals(dataVolume.getName(), mount.getName(), key + " " + path + " is on the data volume");
            VolumeMount initMount = mountHolding(init, path);
            assertEquals(dataVolume.getName(), initMount.getName(), "the init container fills " + path);
            assertFalse(Boolean.TRUE.equals(initMount.getReadOnly()), "the init container writes " + path);
        }
        VolumeMount cache = mountHolding(container, data.get("RAG_KNOWLEDGE_BASE_CACHE_DIR"));
        assertFalse(Boolean.TRUE.equals(cache.getReadOnly()), "the embedding cache is written");

        long modelBytes = modelBytes();
        long knowledgeBaseBytes = Files.size(Path.of("description.jsonl"));
        try (Stream<Path> images = Files.walk(Path.of("image_database"))) {
            for (Path image : images.filter(Files::isRegularFile).toList()) {
                knowledgeBaseBytes += Files.size(image);
            }
        }
        long storage = bytes(claim.getSpec().getResources().getRequests().get("storage"));
        assertTrue(storage >= 2 * (modelBytes + knowledgeBaseBytes),
                "the claim (" + storage + " bytes) holds the model and the demo knowledge base twice over (downloads keep .part files)");
    }

    private static VolumeMount mountHolding(Container container, String path) {
        return container.getVolumeMounts().stream()
                .filter(m -> Path.of(path).startsWith(Path.of(m.getMountPath())))
                .findFirst().orElseThrow(() -> new AssertionError(container.getName() + " mounts nothing holding " + path));
    }

    /** The fp32 model as the download manifest lists it: towers, tokenizer and configuration files. */
    private static long modelBytes() {
        Manifest manifest = ModelDownloader.defaultManifest();
        return manifest.files().stream().filter(f -> f.belongsTo("fp32"))
                .mapToLong(f -> f.size().orElseThrow(() -> new AssertionError(f.path() + " has no size in the manifest"))).sum();
    }

    @Test
    void memoryAndCpuAreSizedFromTheMeasurements() {
        Container container = serviceContainer(deployment());
        Map<String, Quantity> requests = container.getResources().getRequests();
        Map<String, Quantity> limits = container.getResources().getLimits();
        long requested = bytes(requests.get("memory"));
        long limit = bytes(limits.get("memory"));
        assertTrue(requested <= limit && amount(requests.get("cpu")).compareTo(amount(limits.get("cpu"))) <= 0,
                "requests within limits");
        assertTrue(requested >= MEASURED_RSS_UNDER_LOAD, "request " + requested / MIB + " MiB < measured under load");
        assertTrue(limit >= MEASURED_RSS_PEAK, "limit " + limit / MIB + " MiB < measured peak");

        int ratio = Integer.parseInt(env(container, "JAVA_MAX_MEM_RATIO")
                .orElseThrow(() -> new AssertionError("JAVA_MAX_MEM_RATIO must be set: the images default to 50-80%")));
        long heap = limit * ratio / 100;
        long offHeap = limit - heap;
        assertTrue(offHeap >= modelBytes() + NATIVE_BEYOND_WEIGHTS, "only " + offHeap / MIB
                + " MiB outside the heap for " + modelBytes() / MIB + " MiB of weights and ONNX Runtime's own memory");

        RagConfig config = configuredByConfigMap();
        int workers = config.encoder().workerThreads()
                .orElse(amount(limits.get("cpu")).setScale(0, java.math.RoundingMode.CEILING).intValueExact());
        long decoding = workers * config.image().maxPixels() * HEAP_BYTES_PER_PIXEL;
        assertTrue(heap >= decoding, "a " + heap / MIB + " MiB heap cannot decode " + workers + " images of "
                + config.image().maxPixels() + " pixels at once (" + decoding / MIB + " MiB)");

        Container gpu = gpuPatch().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(container.getName(), gpu.getName(), "the GPU patch merges into the service's container");
        Map<String, Quantity> gpuLimits = gpu.getResources().getLimits();
        assertTrue(amount(gpuLimits.get("nvidia.com/gpu")).intValue() >= 1, "the GPU variant asks for an NVIDIA GPU");
        assertTrue(bytes(gpuLimits.get("memory")) >= limit, "CUDA needs more host memory, not less");
        int gpuRatio = Integer.parseInt(env(gpu, "JAVA_MAX_MEM_RATIO").orElse(String.valueOf(ratio)));
        assertTrue(bytes(gpuLimits.get("memory")) * gpuRatio / 100 >= decoding, "the GPU variant's heap decodes as much");
    }

    @Test
    void theInitContainerRunsTheScriptEveryImageCarries() throws IOException {
        Container init = initContainer(deployment());
        String script = init.getCommand().stream().filter(c -> c.endsWith("fill-data-volume.sh")).findFirst()
                .orElseThrow(() -> new AssertionError("the init container runs fill-data-volume.sh: " + init.getCommand()));
        String folder = script.substring(0, script.lastIndexOf('/') + 1);
        for (String dockerfile : List.of("Dockerfile.jvm", "Dockerfile.native", "Dockerfile.gpu")) {
            String text = Files.readString(Path.of("docker", dockerfile));
            assertTrue(Pattern.compile("(?m)^COPY .*docker/fill-data-volume\\.sh " + Pattern.quote(folder) + "$").matcher(text).find(),
                    dockerfile + " copies docker/fill-data-volume.sh to " + folder);
        }
        assertTrue(Files.isExecutable(Path.of("docker/fill-data-volume.sh")));
    }

    @Test
    void imagesArePlaceholdersThatTheKustomizationsRename() {
        Deployment deployment = deployment();
        List<Container> containers = new ArrayList<>(deployment.getSpec().getTemplate().getSpec().getContainers());
        containers.addAll(deployment.getSpec().getTemplate().getSpec().getInitContainers());
        for (Container container : containers) {
            assertTrue(container.getImage().startsWith(IMAGE_PLACEHOLDER + ":"), container.getName() + ": " + container.getImage());
        }
        JsonNode cpuImages = kustomization(KUBERNETES).path("images");
        assertEquals(IMAGE_PLACEHOLDER, cpuImages.path(0).path("name").asText());
        assertEquals(List.of("base"), textList(kustomization(KUBERNETES).path("resources")), "the CPU deployment is the base");
        JsonNode gpuImages = kustomization(GPU).path("images");
        assertEquals(List.of("../base"), textList(kustomization(GPU).path("resources")), "the GPU overlay patches the base");
        assertEquals(IMAGE_PLACEHOLDER, gpuImages.path(0).path("name").asText());
        assertEquals(IMAGE_PLACEHOLDER + "-gpu", gpuImages.path(0).path("newName").asText(), "the GPU overlay runs Dockerfile.gpu's image");
    }

    @Test
    void thePostgresqlOverlaySharesNoVolumeAndKeepsTheCredentialsInASecret() {
        assertEquals(List.of("../base"), textList(kustomization(POSTGRESQL).path("resources")));
        assertTrue(kustomization(POSTGRESQL).path("patches").toString().contains("$patch: delete")
                && kustomization(POSTGRESQL).path("patches").toString().contains("PersistentVolumeClaim"),
                "the overlay deletes the base's ReadWriteMany claim");
        JsonNode volumes = only(POSTGRESQL, "Deployment").node().path("spec").path("template").path("spec")
                .path("volumes");
        JsonNode data = volumes.path(0);
        assertEquals("data", data.path("name").asText());
        assertTrue(data.has("persistentVolumeClaim") && data.get("persistentVolumeClaim").isNull(),
                "the patch removes the claim from the data volume (a strategic-merge null)");
        assertTrue(data.has("emptyDir"), "each pod's own volume for the model");
        assertTrue(deployment().getSpec().getTemplate().getSpec().getVolumes().stream()
                .anyMatch(v -> v.getName().equals("data")), "the patch merges into the base's data volume");

        Map<String, String> settings = postgresqlConfigMapData();
        assertEquals("postgresql", settings.get("RAG_KNOWLEDGE_BASE_STORE"));
        String url = settings.get("QUARKUS_DATASOURCE_JDBC_URL");
        assertTrue(url.startsWith("jdbc:postgresql://"), url);
        assertFalse(settings.keySet().stream().anyMatch(k -> k.contains("PASSWORD") || k.contains("USERNAME")),
                "credentials never in the ConfigMap");
        assertTrue(settings.get("RAG_KNOWLEDGE_BASE_IMPORT_FROM").startsWith("/data/"),
                "the demo the init container puts on the data volume");

        Container container = postgresqlPatch().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(serviceContainer(deployment()).getName(), container.getName());
        JsonNode cluster = only(POSTGRESQL, "Cluster").node();
        String clusterName = cluster.path("metadata").path("name").asText();
        for (String variable : List.of("QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD")) {
            EnvVar env = container.getEnv().stream().filter(e -> e.getName().equals(variable)).findFirst()
                    .orElseThrow(() -> new AssertionError(variable + " is not set"));
            assertNull(env.getValue(), variable + " comes from a Secret, not a literal");
            assertEquals(clusterName + "-app", env.getValueFrom().getSecretKeyRef().getName(),
                    "the Secret CloudNativePG makes for the example cluster");
        }
        assertTrue(url.contains("//" + clusterName + "-rw:"), "the example cluster's read-write Service: " + url);
        assertTrue(url.endsWith("/app"), "the database CloudNativePG makes by default: " + url);

        JsonNode hpa = only(POSTGRESQL, "HorizontalPodAutoscaler").node().path("spec");
        assertTrue(hpa.path("minReplicas").asInt() >= 2, "with a shared store, more than one pod serves");
        assertTrue(hpa.path("maxReplicas").asInt() >= hpa.path("minReplicas").asInt());
    }

    @Test
    void theAutoscalerOwnsTheReplicasOfTheDeployment() {
        HorizontalPodAutoscaler hpa = only(BASE, "HorizontalPodAutoscaler").as(HorizontalPodAutoscaler.class);
        Deployment deployment = deployment();
        assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
        assertEquals(deployment.getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName());
        assertTrue(hpa.getSpec().getMinReplicas() <= hpa.getSpec().getMaxReplicas());
        assertTrue(hpa.getSpec().getMetrics().stream().anyMatch(m -> m.getResource() != null
                && m.getResource().getName().equals("cpu")), "scales on CPU");
        assertNotNull(serviceContainer(deployment).getResources().getRequests().get("cpu"),
                "CPU utilisation is measured against the CPU request");
        boolean replicasRemoved = false;
        for (JsonNode patch : kustomization(BASE).path("patches")) {
            replicasRemoved |= patch.path("patch").asText().contains("path: /spec/replicas")
                    && patch.path("patch").asText().contains("op: remove");
        }
        assertTrue(replicasRemoved, "a fixed spec.replicas would reset the autoscaler's count on every apply");
    }

    @Test
    void theEnvironmentNameOfAKeyIsSmallRyesSpelling() {
        assertEquals("RAG_KNOWLEDGE_BASE_CACHE_DIR", ConfigurationKeys.envName("rag.knowledge-base.cache-dir"));
        assertEquals("max-description-length", ConfigurationKeys.kebab("maxDescriptionLength"));
        Map<String, String> known = new TreeMap<>(ConfigurationKeys.byEnvName());
        assertEquals("rag.model.download.base-url", known.get("RAG_MODEL_DOWNLOAD_BASE_URL"), "@WithName is honoured");
        assertEquals("quarkus.http.port", known.get("QUARKUS_HTTP_PORT"));
        assertFalse(known.containsKey("RAG_MODLE_DIR"));
    }
}
