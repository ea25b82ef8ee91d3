/// The task routes' part of the OpenAPI document.
enum TaskRoutes {
    static func openAPIPaths(errorResponses: [String: Any]) -> [String: Any] {
        let security: [[String: [String]]] = [["bearer": []]]
        let idParameter: [String: Any] = ["name": "id", "in": "path", "required": true, "schema": ["type": "string"]]
        let task: [String: Any] = ["application/json": ["schema": ["$ref": "#/components/schemas/Task"]]]
        return [
            "/v1/tasks": [
                "post": [
                    "operationId": "tasks.start", "summary": "Start a long-running operation as a task", "tags": ["tasks"], "security": security,
                    "requestBody": [
                        "required": true, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/StartTaskRequest"]]],
                    ],
                    "responses": errorResponses.merging(["202": ["description": "Queued", "content": task]]) { $1 },
                ],
                "get": [
                    "operationId": "tasks.list", "summary": "Tasks, filtered by status and account", "tags": ["tasks"], "security": security,
                    "parameters": [
                        [
                            "name": "status", "in": "query", "required": false,
                            "schema": ["enum": ["queued", "running", "succeeded", "failed", "cancelled"]],
                        ],
                        ["name": "account", "in": "query", "required": false, "schema": ["type": "string"]],
                    ],
                    "responses": errorResponses.merging([
                        "200": ["description": "The tasks", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/TaskList"]]]]
                    ]) { $1 },
                ],
            ],
            "/v1/tasks/{id}": [
                "get": [
                    "operationId": "tasks.get", "summary": "A task's status and, when done, its report", "tags": ["tasks"],
                    "security": security, "parameters": [idParameter],
                    "responses": errorResponses.merging([
                        "200": ["description": "The task", "content": task],
                        "404": ServiceDescription.response("No such task", schema: ServiceDescription.errorSchema),
                    ]) { $1 },
                ],
                "delete": [
                    "operationId": "tasks.cancel", "summary": "Cancel a task", "tags": ["tasks"], "security": security,
                    "parameters": [idParameter],
                    "responses": errorResponses.merging([
                        "200": ["description": "The task", "content": task],
                        "404": ServiceDescription.response("No such task", schema: ServiceDescription.errorSchema),
                    ]) { $1 },
                ],
            ],
            "/v1/tasks/{id}/events": [
                "get": [
                    "operationId": "tasks.events", "summary": "The task's events as server-sent events (resume with Last-Event-ID)",
                    "tags": ["tasks"], "security": security,
                    "parameters": [
                        idParameter,
                        ["name": "Last-Event-ID", "in": "header", "required": false, "schema": ["type": "string", "pattern": "^[0-9]+$"]],
                    ],
                    "responses": errorResponses.merging([
                        "200": ["description": "text/event-stream", "content": ["text/event-stream": ["schema": ["type": "string"]]]],
                        "404": ServiceDescription.response("No such task", schema: ServiceDescription.errorSchema),
                    ]) { $1 },
                ]
            ],
        ]
    }
}
