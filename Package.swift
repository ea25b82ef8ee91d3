// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Hephaestus",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hephaestus", targets: ["hephaestus"]),
        // The service (REST and gRPC): a separate executable so the CLI never links the server stack; `hephaestus
        // serve` runs it from the same directory.
        .executable(name: "hephaestus-server", targets: ["hephaestus-server"]),
        .executable(name: "hephaestus-mcp", targets: ["hephaestus-mcp"]),
        // The libraries, for other Swift packages (plugins, users' tools). HephaestusTestSupport is in none.
        .library(name: "HephaestusPlatform", targets: ["HephaestusPlatform"]),
        .library(name: "HephaestusSigstore", targets: ["HephaestusSigstore"]),
        .library(name: "HephaestusTUF", targets: ["HephaestusTUF"]),
        .library(name: "HephaestusCore", targets: ["HephaestusCore"]),
        .library(name: "HephaestusInventory", targets: ["HephaestusInventory"]),
        .library(name: "HephaestusToolkit", targets: ["HephaestusToolkit"]),
        .library(name: "HephaestusAnalytics", targets: ["HephaestusAnalytics"]),
        .library(name: "HephaestusOperations", targets: ["HephaestusOperations"]),
        .library(name: "HephaestusService", targets: ["HephaestusService"]),
        .library(name: "HephaestusSQLite", targets: ["HephaestusSQLite"]),
        .library(name: "HephaestusTelemetry", targets: ["HephaestusTelemetry"]),
        // The local Sigstore *test* instance, for testing other tools against in-process Fulcio, Rekor and TSA
        // services; never for real signing.
        .library(name: "HephaestusLocalSigstore", targets: ["HephaestusLocalSigstore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The service's stack: linked into HephaestusServer and hephaestus-server only.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // The MCP server only (hephaestus-mcp): its library needs swift-system and swift-log; the package's NIO is for
        // its own conformance executables and is not built.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // Telemetry: the tracing and metrics APIs (no dependencies of their own) and the Prometheus text format.
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: - C libraries (system)

        /** OpenSSL 3 (libcrypto, libssl): digests, keys, signatures, X.509. */
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        /** glibc's malloc extensions: the service hands freed memory back after a large request body (BodyBudget). */
        .systemLibrary(name: "CMalloc"),
        /** libcurl's headers: the one HTTP transport (the library is loaded on first use, see CLibraryLoader). */
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        /** libarchive's headers (and zlib): tar/zip archives (the library is loaded on first use, see CLibraryLoader). */
        .systemLibrary(
            name: "CArchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        /** Loads libcurl and libarchive with dlopen on first use and forwards their functions, so that commands which
            need neither (verify) do not pay their start-up cost. */
        .target(
            name: "CLibraryLoader",
            linkerSettings: [.linkedLibrary("dl")]
        ),

        // MARK: - Libraries

        /** Swift over the C libraries and generic mechanics; the only importer of C modules. */
        .target(
            name: "HephaestusPlatform",
            dependencies: [
                "COpenSSL", "CCurl", "CArchive", "CLibraryLoader",
                // HTTP client spans, trace context carried onto blocking threads, transfer and refusal counters.
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        /** Sigstore bundles: parse, verify (client spec §4), trust roots; signing through the service protocols and
            the Fulcio, Rekor and TSA clients. Knows nothing of releases, and holds no test-instance code. */
        .target(
            name: "HephaestusSigstore",
            dependencies: [
                "HephaestusPlatform",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        /** OpenTelemetry traces and Prometheus metrics: configuration from the OTEL_* variables, the specification's
            samplers, a tracer over swift-distributed-tracing, OTLP export (gRPC, HTTP/protobuf) over the HTTP transport,
            the Prometheus text rendering of swift-metrics. */
        .target(
            name: "HephaestusTelemetry",
            dependencies: [
                "HephaestusPlatform",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        /** The TUF client (specification 1.0.x §5): root rotation, timestamp, snapshot, targets and delegations with
            their signature, version, length, hash and expiry checks, target downloads; over the run's HTTP client. */
        .target(
            name: "HephaestusTUF",
            dependencies: ["HephaestusPlatform", "HephaestusSigstore"]
        ),
        /** The local Sigstore *test* instance behind `hephaestus dev sigstore`: its CA (with SCT-forging hooks), CT
            log, Rekor v1/v2 logs over a Merkle tree, TSA and OIDC issuer, the router serving their wire formats, kept
            keys and SQLite-backed logs. */
        .target(
            name: "HephaestusLocalSigstore",
            dependencies: [
                "HephaestusPlatform",
                "HephaestusSigstore",
                // For the Operation protocol of `dev.sigstore` and `dev.sigstore-token` (HephaestusCore never depends on this target).
                "HephaestusCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /** Release use cases (digest manifests, …), typed errors, logging. */
        .target(
            name: "HephaestusCore",
            dependencies: [
                "HephaestusPlatform",
                "HephaestusSigstore",
                "HephaestusTUF",
                "HephaestusTelemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),

        /** What every SQLite store shares (GRDB): a WAL database that several processes create, open and upgrade at once. */
        .target(
            name: "HephaestusSQLite",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")]
        ),

        /** The attestation inventory (SQLite through GRDB) and what reads and writes it: scan, audit, report, backfill. */
        .target(
            name: "HephaestusInventory",
            dependencies: [
                "HephaestusPlatform",
                "HephaestusSigstore",
                "HephaestusCore",
                "HephaestusSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        /** The service's transport-independent core: the store protocols (accounts, tamper-evident audit log, task
            queue) and their SQLite implementation, roles and permissions, the request gate every front end calls, the
            task worker pool. No HTTP or gRPC here: `hephaestus serve`'s transports are built on it. */
        .target(
            name: "HephaestusService",
            dependencies: [
                "HephaestusPlatform",
                "HephaestusCore",
                "HephaestusSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The guide for transports built on it, read in the repository.
            exclude: ["README.md"]
        ),

        /** Analytics over a repository's history, complexity, coverage and ingested events: refactoring rankings,
            hotspots, the NDJSON event store (SQLite through GRDB). */
        .target(
            name: "HephaestusAnalytics",
            dependencies: [
                "HephaestusPlatform",
                "HephaestusCore",
                // The one parser of store locations (`--store sqlite:PATH`).
                "HephaestusService",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        /** The developer toolkit for the Python projects Hephaestus releases: `cleanup` (race-safe removal of build and
            cache artefacts through directory descriptors) and `guard-rails` (a configured pipeline of checks run as
            subprocesses, drift detection, rate-limited and audited auto-remediation), and the project configuration
            (`hephaestus.toml`, `[tool.hephaestus]` of pyproject.toml) they read. */
        .target(
            name: "HephaestusToolkit",
            dependencies: [
                "HephaestusPlatform",
                "HephaestusCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),

        /** The registry of every operation (and the catalogue of every error code), over all library modules: what the
            front ends (CLI, REST, gRPC, MCP) are built on. */
        .target(
            name: "HephaestusOperations",
            dependencies: [
                "HephaestusPlatform", "HephaestusSigstore", "HephaestusTUF", "HephaestusCore", "HephaestusInventory", "HephaestusLocalSigstore",
                "HephaestusService", "HephaestusAnalytics", "HephaestusToolkit",
            ]
        ),

        /** The service: REST routes (Hummingbird), gRPC services (grpc-swift 2, generated from proto/), limits, TLS,
            server-sent events, draining; every request through the service core's authenticate, authorise, audit, run
            gate. The only target that links the server stack. */
        .target(
            name: "HephaestusServer",
            dependencies: [
                "HephaestusPlatform", "HephaestusSigstore", "HephaestusCore", "HephaestusOperations", "HephaestusService", "HephaestusAnalytics",
                "CMalloc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // gRPC streams' request bytes counted against the body budget, frame by frame.
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // Request spans, /metrics and the dashboard's activity.
                "HephaestusTelemetry",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            exclude: ["Generated/README.md"]
        ),

        /** Test-only: temporary directories, processes, the openssl CLI, fixtures. In no product. */
        .target(
            name: "HephaestusTestSupport",
            dependencies: [
                "HephaestusPlatform", "HephaestusSigstore", "HephaestusCore", "HephaestusLocalSigstore", "HephaestusInventory", "HephaestusTelemetry",
            ]
        ),

        // MARK: - Executable

        /** The command line: parses arguments, calls HephaestusCore, renders results. */
        .executableTarget(
            name: "hephaestus",
            dependencies: [
                "HephaestusCore",
                "HephaestusInventory",
                "HephaestusLocalSigstore",
                "HephaestusAnalytics",
                "HephaestusOperations",
                "HephaestusService",
                "HephaestusToolkit",
                "HephaestusTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: [
                // Release binaries: lld (shipped with the Swift toolchain) packs the ~140,000 relative relocations of a
                // statically linked Swift runtime into RELR form (glibc >= 2.36, Debian 12): 2 MiB less to read and
                // keep resident at every start, about 2 ms less start-up.
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux], configuration: .release))
            ],
            plugins: ["BuildInfo"]
        ),

        /** `hephaestus-server`: what `hephaestus serve` runs (parses the serve options, starts HephaestusServer). */
        .executableTarget(
            name: "hephaestus-server",
            dependencies: ["HephaestusServer"],
            linkerSettings: [
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux], configuration: .release))
            ]
        ),
        /** The MCP server on stdio (`hephaestus mcp` execs it from the same directory): the registered operations as
            tools. A separate executable so that `hephaestus` links no MCP code and its start-up is unchanged. */
        .executableTarget(
            name: "hephaestus-mcp",
            dependencies: [
                "HephaestusCore",
                "HephaestusOperations",
                "HephaestusService",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/hephaestus-mcp",
            linkerSettings: [
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux], configuration: .release))
            ]
        ),

        /** Generates the executable's BuildInfo.swift (the git commit it is built from) before each build. */
        .plugin(
            name: "BuildInfo",
            capability: .buildTool(),
            path: "Plugins/BuildInfo"
        ),

        /** Fuzz entry points for the parsers of untrusted input; built instrumented by fuzz/run, not shipped. */
        .executableTarget(
            name: "hephaestus-fuzz",
            dependencies: ["HephaestusSigstore", "HephaestusCore"],
            path: "Fuzz"
        ),

        /** Benchmark workload generator (virtual-Sigstore bundles for verify batch); not shipped. */
        .executableTarget(
            name: "hephaestus-bench-bundles",
            dependencies: ["HephaestusTestSupport", "HephaestusInventory"],
            path: "Benchmarks/GenerateBundles"
        ),

        // MARK: - Tests

        .testTarget(
            name: "HephaestusPlatformTests",
            dependencies: ["HephaestusPlatform", "HephaestusTestSupport"]
        ),
        .testTarget(
            name: "HephaestusSigstoreTests",
            dependencies: ["HephaestusSigstore", "HephaestusLocalSigstore", "HephaestusTestSupport"]
        ),
        .testTarget(
            name: "HephaestusTUFTests",
            dependencies: ["HephaestusTUF", "HephaestusPlatform", "HephaestusTestSupport"]
        ),
        .testTarget(
            name: "HephaestusLocalSigstoreTests",
            dependencies: [
                "HephaestusLocalSigstore", "HephaestusSigstore", "HephaestusCore", "HephaestusTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HephaestusCoreTests",
            dependencies: [
                "HephaestusCore",
                "HephaestusTelemetry",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                "HephaestusLocalSigstore",
                "HephaestusTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HephaestusTelemetryTests",
            dependencies: [
                "HephaestusTelemetry", "HephaestusPlatform", "HephaestusTestSupport",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "HephaestusOperationsTests",
            dependencies: [
                "HephaestusOperations", "HephaestusCore", "HephaestusPlatform", "HephaestusService", "HephaestusTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HephaestusInventoryTests",
            dependencies: [
                "HephaestusInventory", "HephaestusCore", "HephaestusPlatform", "HephaestusSigstore", "HephaestusOperations", "HephaestusTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HephaestusServiceTests",
            dependencies: [
                "HephaestusService", "HephaestusOperations", "HephaestusCore", "HephaestusPlatform", "HephaestusTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HephaestusServerTests",
            dependencies: [
                "HephaestusServer", "HephaestusService", "HephaestusCore", "HephaestusOperations", "HephaestusPlatform", "HephaestusTestSupport",
                "HephaestusAnalytics",
                .product(name: "Logging", package: "swift-log"),
                "HephaestusTelemetry",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "HephaestusAnalyticsTests",
            dependencies: [
                "HephaestusAnalytics", "HephaestusCore", "HephaestusPlatform", "HephaestusTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HephaestusToolkitTests",
            dependencies: [
                "HephaestusToolkit", "HephaestusCore", "HephaestusPlatform", "HephaestusTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HephaestusCLITests",
            dependencies: [
                "hephaestus", "HephaestusCore", "HephaestusInventory", "HephaestusOperations", "HephaestusService", "HephaestusTestSupport",
            ]
        ),
    ]
)
