// attachments_api.h — the /api/v1 routes of record attachments and the fixity report.
#pragma once
#include "catalogue/attachments.h"
#include "core/config.h"
#include "http/api.h"

namespace dangan::catalogue {

void register_attachment_routes(http::Api& api, attachments::Service& service,
                                const Config& config);

}  // namespace dangan::catalogue
