package io.multimodalrag.clip;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What to download for a model: the repository, the revision pinned, the URL template and the files
 * of each variant. Read from a tab-separated text file that {@code onnx-models/download.sh} reads too,
 * so that the script and the service can never disagree (format described at the top of
 * {@code src/main/resources/model/clip-vit-base-patch32.manifest.tsv}).
 *
 * @param name short name of the model, used in messages
 * @param repo Hugging Face repository, {@code owner/name}
 * @param revision commit hash (or branch) the files are pinned to
 * @param endpoint default server, e.g. {@code https://huggingface.co}
 * @param urlTemplate URL of a file, over {@code {endpoint} {repo} {revision} {path}}
 * @param defaultVariant the variant used when none is asked for
 * @param files every file of every variant, in manifest order
 */
public record Manifest(
        String name,
        String repo,
        String revision,
        URI endpoint,
        String urlTemplate,
        String defaultVariant,
        List<ModelFile> files) {

    /** The variant of a file that every variant needs. */
    public static final String ALL_VARIANTS = "all";

    private static final String UNKNOWN = "-";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]*");
    /** A relative path without {@code ..}; ':' is allowed inside names (an ONNX export's weight files are named so). */
    private static final Pattern RELATIVE_PATH = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._:-]*(/[A-Za-z0-9_][A-Za-z0-9._:-]*)*");

    public Manifest {
        require(name != null && WORD.matcher(name).matches(), "name missing or malformed");
        require(repo != null && REPO.matcher(repo).matches(), "repo missing or not owner/name");
        require(revision != null && REVISION.matcher(revision).matches() && !revision.contains(".."),
                "revision missing or malformed");
        require(endpoint != null && endpoint.isAbsolute(), "endpoint missing or not an absolute URL");
        require(urlTemplate != null && urlTemplate.contains("{path}"), "url template missing or without {path}");
        files = List.copyOf(Objects.requireNonNull(files, "files"));
        require(!files.isEmpty(), "no file listed");
        Set<String> targets = new LinkedHashSet<>();
        for (ModelFile file : files) {
            require(targets.add(file.variant() + "\t" + file.target()),
                    "target " + file.target() + " listed twice for variant " + file.variant());
        }
        require(defaultVariant != null, "default_variant missing");
        Set<String> known = variantsOf(files);
        require(known.contains(defaultVariant), "default_variant " + defaultVariant + " has no file");
    }

    /** Reads a manifest from its text. {@code source} names it in error messages. */
    public static Manifest parse(String text, String source) {
        String name = null;
        String repo = null;
        String revision = null;
        URI endpoint = null;
        String url = null;
        String defaultVariant = null;
        List<ModelFile> files = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            String where = source + " line " + (i + 1) + ": ";
            String key = fields[0];
            if (key.equals("file")) {
                if (fields.length != 7) {
                    throw new IllegalArgumentException(where + "a file line has 7 tab-separated fields, this one has "
                            + fields.length);
                }
                files.add(parseFile(fields, where));
                continue;
            }
            if (key.equals("tree")) {
                throw new IllegalArgumentException(where + "a folder (tree) is listed only when downloaded: fetch it with"
                        + " onnx-models/download.sh --manifest " + source + ", which resolves it and writes the pinned"
                        + " manifest (pinned.manifest.tsv) to give here");
            }
            if (fields.length != 2 || fields[1].isEmpty()) {
                throw new IllegalArgumentException(where + "expected '" + key + "<TAB>value'");
            }
            String value = fields[1];
            switch (key) {
                case "name" -> name = value;
                case "repo" -> repo = value;
                case "revision" -> revision = value;
                case "endpoint" -> endpoint = parseEndpoint(value, where);
                case "url" -> url = value;
                case "default_variant" -> defaultVariant = value;
                default -> throw new IllegalArgumentException(where + "unknown key '" + key + "'");
            }
        }
        try {
            return new Manifest(name, repo, revision, endpoint, url, defaultVariant, files);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** Reads a manifest from the class path, e.g. {@code model/clip-vit-base-patch32.manifest.tsv}. */
    public static Manifest fromClasspath(String resource) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = Manifest.class.getClassLoader();
        }
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("model manifest " + resource + " is not on the class path");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model manifest " + resource, e);
        }
    }

    /** The variants this manifest offers, in order of first appearance. */
    public Set<String> variants() {
        return variantsOf(files);
    }

    /**
     * The files one variant needs: its own and those of every variant.
     *
     * @throws IllegalArgumentException when the manifest has no such variant
     */
    public List<ModelFile> filesFor(String variant) {
        if (!variants().contains(variant)) {
            throw new IllegalArgumentException("unknown model variant '" + variant + "'; " + name + " has "
                    + String.join(", ", variants()));
        }
        return files.stream().filter(f -> f.belongsTo(variant)).toList();
    }

    /** The file playing a role in a variant, e.g. {@code file("int8", "vision")}. */
    public Optional<ModelFile> file(String variant, String role) {
        return filesFor(variant).stream().filter(f -> f.role().equals(role)).findFirst();
    }

    /**
     * Where to fetch a file from.
     *
     * @param endpointOverride a mirror with the Hub's layout to use instead of {@link #endpoint()}, or null
     */
    public URI uri(ModelFile file, URI endpointOverride) {
        String base = (endpointOverride != null ? endpointOverride : endpoint).toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        String url = urlTemplate
                .replace("{endpoint}", base)
                .replace("{repo}", repo)
                .replace("{revision}", URLEncoder.encode(revision, StandardCharsets.UTF_8))
                .replace("{path}", file.path());
        return URI.create(url);
    }

    private static ModelFile parseFile(String[] f, String where) {
        String variant = f[1];
        String role = f[2];
        String path = f[3];
        String target = f[4];
        if (!WORD.matcher(variant).matches() || !WORD.matcher(role).matches()) {
            throw new IllegalArgumentException(where + "variant and role are single words");
        }
        if (!isSafeRelativePath(path) || !isSafeRelativePath(target)) {
            throw new IllegalArgumentException(where + "path and target must be relative paths without '..'");
        }
        OptionalLong size;
        if (f[5].equals(UNKNOWN)) {
            size = OptionalLong.empty();
        } else {
            try {
                size = OptionalLong.of(Long.parseLong(f[5]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + "size is a number of bytes or '-'", e);
            }
            if (size.getAsLong() < 0) {
                throw new IllegalArgumentException(where + "size is negative");
            }
        }
        Optional<String> sha256;
        if (f[6].equals(UNKNOWN)) {
            sha256 = Optional.empty();
        } else if (SHA256.matcher(f[6]).matches()) {
            sha256 = Optional.of(f[6]);
        } else {
            throw new IllegalArgumentException(where + "sha256 is 64 lower-case hex digits or '-'");
        }
        return new ModelFile(variant, role, path, target, size, sha256);
    }

    private static URI parseEndpoint(String value, String where) {
        try {
            URI uri = URI.create(value);
            if (!uri.isAbsolute()) {
                throw new IllegalArgumentException(where + "endpoint must be an absolute URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "endpoint is not a URL: " + value, e);
        }
    }

    /** No segment may start with a dot, so neither "." nor ".." can climb out of the model folder. */
    private static boolean isSafeRelativePath(String p) {
        return RELATIVE_PATH.matcher(p).matches();
    }

    private static Set<String> variantsOf(List<ModelFile> files) {
        Set<String> variants = new LinkedHashSet<>();
        for (ModelFile file : files) {
            if (!file.variant().equals(ALL_VARIANTS)) {
                variants.add(file.variant());
            }
        }
        return variants;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
