// oai_api.h — the /oai endpoint (OAI-PMH 2.0, GET and form-encoded POST), open to harvesters.
#pragma once
#include "http/api.h"
#include "sharing/oai.h"

namespace dangan::sharing {

void register_oai_routes(http::Api& api, OaiProvider& provider, const Config& config);

}  // namespace dangan::sharing
