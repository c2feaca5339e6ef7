// programs_api.h — routes of knowledge services (定题服务, D27) and trace points (D33)
// under /api/v1; the rules live in knowledge.h and traces.h.
#pragma once
#include "http/api.h"
#include "service/knowledge.h"
#include "service/traces.h"

namespace dangan::service {

void register_program_routes(http::Api& api, KnowledgeServices& knowledge, Traces& traces);

}  // namespace dangan::service
