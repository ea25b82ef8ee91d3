import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusService
import Hummingbird
import NIOCore

/// `GET /metrics`: the Prometheus text exposition format (0.0.4) of the service's registry, the task queue's depth
/// read from the store at each scrape (so every replica sharing the store reports the same queue), and the request body
/// bytes this process holds (its ``BodyBudget``). Open unless
/// `[metrics] token_file` is set (``MetricsSettings``); not audited (API.md).
enum MetricsRoute {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func register(on router: Router<ServiceRequestContext>, telemetry: ServiceTelemetry, tasks: any TaskQueue, bodyBudget: BodyBudget) {
        router.get("/metrics") { request, _ in
            guard telemetry.settings.allows(authorization: request.headers[.authorization]) else {
                var response = RESTRoutes.failure(ServiceFailure(ServiceLimitError.metricsTokenRequired))
                response.headers[.wwwAuthenticate] = "Bearer realm=\"metrics\""
                return response
            }
            for status in [TaskStatus.queued, .running] {
                let count = try await tasks.tasks(matching: TaskFilter(status: status, limit: 1_000_000)).count
                HephaestusMetric.tasks.set(Double(count), status.rawValue)
            }
            HephaestusMetric.requestBodyBytes.set(Double(bodyBudget.heldBytes))
            let text = telemetry.metrics.text()
            return Response(
                status: .ok, headers: [.contentType: contentType, .contentLength: String(text.count)],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
