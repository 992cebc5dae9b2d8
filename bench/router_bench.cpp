// Microbenchmarks for issue-sized questions: how long http::Router takes to route a request among
// 200 routes shaped like GitHub's REST API, and how fast each content coding compresses a 100 KiB
// JSON body.
//
//   router-bench routes     median and 99th percentile ns per dispatch, over the paths below
//   router-bench codings    MB/s per core for gzip, br and zstd at the levels the server uses
#include <http/router.hpp>

#include "coding/content_coding.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// GitHub's REST API, by its documented paths: literals, parameters, and a few rest parameters.
const char* const resources[] = {
    "/repos/{owner}/{repo}", "/repos/{owner}/{repo}/issues", "/repos/{owner}/{repo}/issues/{issue_number}",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments", "/repos/{owner}/{repo}/issues/{issue_number}/labels",
    "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
    "/repos/{owner}/{repo}/issues/{issue_number}/lock", "/repos/{owner}/{repo}/issues/{issue_number}/events",
    "/repos/{owner}/{repo}/issues/{issue_number}/timeline", "/repos/{owner}/{repo}/issues/comments",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    "/repos/{owner}/{repo}/issues/events", "/repos/{owner}/{repo}/issues/events/{event_id}",
    "/repos/{owner}/{repo}/pulls", "/repos/{owner}/{repo}/pulls/{pull_number}", "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
    "/repos/{owner}/{repo}/pulls/{pull_number}/files", "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments", "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
    "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", "/repos/{owner}/{repo}/pulls/comments",
    "/repos/{owner}/{repo}/pulls/comments/{comment_id}", "/repos/{owner}/{repo}/commits", "/repos/{owner}/{repo}/commits/{ref}",
    "/repos/{owner}/{repo}/commits/{ref}/status", "/repos/{owner}/{repo}/commits/{ref}/statuses",
    "/repos/{owner}/{repo}/commits/{ref}/check-runs", "/repos/{owner}/{repo}/commits/{commit_sha}/comments",
    "/repos/{owner}/{repo}/branches", "/repos/{owner}/{repo}/branches/{branch}", "/repos/{owner}/{repo}/branches/{branch}/protection",
    "/repos/{owner}/{repo}/branches/{branch}/rename", "/repos/{owner}/{repo}/tags", "/repos/{owner}/{repo}/releases",
    "/repos/{owner}/{repo}/releases/latest", "/repos/{owner}/{repo}/releases/tags/{tag}", "/repos/{owner}/{repo}/releases/{release_id}",
    "/repos/{owner}/{repo}/releases/{release_id}/assets", "/repos/{owner}/{repo}/releases/assets/{asset_id}",
    "/repos/{owner}/{repo}/contents/{path...}", "/repos/{owner}/{repo}/readme", "/repos/{owner}/{repo}/readme/{dir...}",
    "/repos/{owner}/{repo}/tarball/{ref}", "/repos/{owner}/{repo}/zipball/{ref}", "/repos/{owner}/{repo}/git/blobs",
    "/repos/{owner}/{repo}/git/blobs/{file_sha}", "/repos/{owner}/{repo}/git/commits", "/repos/{owner}/{repo}/git/commits/{commit_sha}",
    "/repos/{owner}/{repo}/git/refs", "/repos/{owner}/{repo}/git/refs/{ref...}", "/repos/{owner}/{repo}/git/trees",
    "/repos/{owner}/{repo}/git/trees/{tree_sha}", "/repos/{owner}/{repo}/git/tags", "/repos/{owner}/{repo}/git/tags/{tag_sha}",
    "/repos/{owner}/{repo}/hooks", "/repos/{owner}/{repo}/hooks/{hook_id}", "/repos/{owner}/{repo}/hooks/{hook_id}/pings",
    "/repos/{owner}/{repo}/hooks/{hook_id}/tests", "/repos/{owner}/{repo}/collaborators", "/repos/{owner}/{repo}/collaborators/{username}",
    "/repos/{owner}/{repo}/collaborators/{username}/permission", "/repos/{owner}/{repo}/labels", "/repos/{owner}/{repo}/labels/{name}",
    "/repos/{owner}/{repo}/milestones", "/repos/{owner}/{repo}/milestones/{milestone_number}",
    "/repos/{owner}/{repo}/milestones/{milestone_number}/labels", "/repos/{owner}/{repo}/forks", "/repos/{owner}/{repo}/stargazers",
    "/repos/{owner}/{repo}/subscribers", "/repos/{owner}/{repo}/subscription", "/repos/{owner}/{repo}/topics",
    "/repos/{owner}/{repo}/languages", "/repos/{owner}/{repo}/contributors", "/repos/{owner}/{repo}/deployments",
    "/repos/{owner}/{repo}/deployments/{deployment_id}", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    "/repos/{owner}/{repo}/actions/runs", "/repos/{owner}/{repo}/actions/runs/{run_id}", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/logs", "/repos/{owner}/{repo}/actions/runs/{run_id}/cancel",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun", "/repos/{owner}/{repo}/actions/jobs/{job_id}",
    "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs", "/repos/{owner}/{repo}/actions/workflows",
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", "/repos/{owner}/{repo}/actions/artifacts",
    "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}", "/repos/{owner}/{repo}/actions/secrets",
    "/repos/{owner}/{repo}/actions/secrets/{secret_name}", "/repos/{owner}/{repo}/actions/secrets/public-key",
    "/repos/{owner}/{repo}/check-runs", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "/repos/{owner}/{repo}/check-suites",
    "/repos/{owner}/{repo}/check-suites/{check_suite_id}", "/repos/{owner}/{repo}/compare/{basehead}",
    "/repos/{owner}/{repo}/dispatches", "/repos/{owner}/{repo}/events", "/repos/{owner}/{repo}/keys", "/repos/{owner}/{repo}/keys/{key_id}",
    "/repos/{owner}/{repo}/merges", "/repos/{owner}/{repo}/notifications", "/repos/{owner}/{repo}/pages",
    "/repos/{owner}/{repo}/pages/builds", "/repos/{owner}/{repo}/pages/builds/latest", "/repos/{owner}/{repo}/pages/builds/{build_id}",
    "/repos/{owner}/{repo}/traffic/views", "/repos/{owner}/{repo}/traffic/clones", "/repos/{owner}/{repo}/traffic/popular/paths",
    "/repos/{owner}/{repo}/traffic/popular/referrers", "/repos/{owner}/{repo}/transfer", "/repos/{owner}/{repo}/vulnerability-alerts",
    "/repos/{owner}/{repo}/stats/contributors", "/repos/{owner}/{repo}/stats/commit_activity", "/repos/{owner}/{repo}/stats/punch_card",
    "/users", "/users/{username}", "/users/{username}/repos", "/users/{username}/orgs", "/users/{username}/gists",
    "/users/{username}/followers", "/users/{username}/following", "/users/{username}/following/{target_user}",
    "/users/{username}/keys", "/users/{username}/gpg_keys", "/users/{username}/starred", "/users/{username}/subscriptions",
    "/users/{username}/events", "/users/{username}/events/public", "/users/{username}/received_events", "/users/{username}/hovercard",
    "/user", "/user/repos", "/user/orgs", "/user/emails", "/user/followers", "/user/following", "/user/following/{username}",
    "/user/keys", "/user/keys/{key_id}", "/user/gpg_keys", "/user/starred", "/user/starred/{owner}/{repo}", "/user/subscriptions",
    "/user/issues", "/user/teams", "/user/installations", "/user/blocks", "/user/blocks/{username}",
    "/orgs/{org}", "/orgs/{org}/repos", "/orgs/{org}/members", "/orgs/{org}/members/{username}", "/orgs/{org}/memberships/{username}",
    "/orgs/{org}/teams", "/orgs/{org}/teams/{team_slug}", "/orgs/{org}/teams/{team_slug}/members",
    "/orgs/{org}/teams/{team_slug}/repos", "/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}",
    "/orgs/{org}/teams/{team_slug}/discussions", "/orgs/{org}/teams/{team_slug}/discussions/{discussion_number}",
    "/orgs/{org}/hooks", "/orgs/{org}/hooks/{hook_id}", "/orgs/{org}/events", "/orgs/{org}/issues", "/orgs/{org}/projects",
    "/orgs/{org}/outside_collaborators", "/orgs/{org}/blocks", "/orgs/{org}/blocks/{username}", "/orgs/{org}/actions/secrets",
    "/orgs/{org}/actions/secrets/{secret_name}", "/orgs/{org}/installations", "/orgs/{org}/invitations",
    "/gists", "/gists/public", "/gists/starred", "/gists/{gist_id}", "/gists/{gist_id}/comments", "/gists/{gist_id}/comments/{comment_id}",
    "/gists/{gist_id}/commits", "/gists/{gist_id}/forks", "/gists/{gist_id}/star", "/gists/{gist_id}/{sha}",
    "/search/repositories", "/search/code", "/search/commits", "/search/issues", "/search/users", "/search/topics", "/search/labels",
    "/notifications", "/notifications/threads/{thread_id}", "/notifications/threads/{thread_id}/subscription",
    "/events", "/feeds", "/emojis", "/meta", "/rate_limit", "/octocat", "/zen", "/licenses", "/licenses/{license}",
    "/gitignore/templates", "/gitignore/templates/{name}", "/markdown", "/markdown/raw", "/networks/{owner}/{repo}/events",
    "/applications/{client_id}/grant", "/applications/{client_id}/token", "/app", "/app/installations",
    "/app/installations/{installation_id}", "/app/installations/{installation_id}/access_tokens", "/apps/{app_slug}",
    "/teams/{team_id}", "/teams/{team_id}/members", "/projects/{project_id}", "/projects/{project_id}/columns",
    "/projects/columns/{column_id}", "/projects/columns/{column_id}/cards", "/projects/columns/cards/{card_id}",
    "/static/{path...}",
};

const char* const requests[] = {
    "/repos/httpkit/httpkit/issues/1234/comments", "/repos/torvalds/linux/pulls/42/reviews/7/comments", "/users/octocat",
    "/repos/a/b/contents/src/lib/deep/file.cpp", "/orgs/github/teams/core/repos/github/docs", "/rate_limit",
    "/repos/a/b/git/refs/heads/feature/x", "/gists/abc123/comments/9", "/search/issues", "/user/starred/o/r",
    "/repos/owner/repo", "/static/css/site.css", "/repos/x/y/actions/runs/99/jobs", "/missing/path/here",
};

void route_benchmark() {
    http::Router router;
    std::size_t count = 0;
    for (const char* pattern : resources) {
        router.get(pattern, [](http::Request&, http::Response&) {});
        ++count;
    }
    std::printf("%zu routes (GitHub's REST API shape), %zu request paths, Router::operator() with an empty handler:\n",
                count, std::size(requests));
    std::vector<double> samples;
    http::Request req;
    req.method = "GET";
    http::Response res;
    for (int round = 0; round < 2000; ++round) {
        for (const char* path : requests) {
            req.path = path;
            const auto start = Clock::now();
            for (int i = 0; i < 16; ++i) {
                try {
                    router(req, res);
                } catch (const http::Failure&) {  // the path that matches nothing: 404
                }
            }
            samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count() / 16);
        }
    }
    std::sort(samples.begin(), samples.end());
    std::printf("  median %.0f ns, 90th percentile %.0f ns, 99th percentile %.0f ns per request\n", samples[samples.size() / 2],
                samples[samples.size() * 9 / 10], samples[samples.size() * 99 / 100]);
}

void coding_benchmark() {
    std::string json = "[";
    for (int i = 0; json.size() < 100 * 1024; ++i)
        json += (i ? "," : "") + std::string(R"({"id":)") + std::to_string(i) + R"(,"login":"user)" + std::to_string(i * 7919 % 1000) +
                R"(","site_admin":false,"score":)" + std::to_string(i % 97) + R"(.5,"tags":["api","json"]})";
    json += "]";
    std::printf("a %zu-byte JSON body, one core:\n", json.size());
    for (const std::string_view coding : http::detail::available_codings()) {
        std::size_t size = 0;
        int runs = 0;
        const auto start = Clock::now();
        while (Clock::now() - start < std::chrono::milliseconds(1500)) {
            size = http::detail::encode_content(json, coding).size();
            ++runs;
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::printf("  %-5s %7.0f MB/s  ratio %.1fx\n", std::string(coding).c_str(), json.size() * runs / seconds / 1e6,
                    static_cast<double>(json.size()) / static_cast<double>(size));
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "";
    if (what == "routes")
        route_benchmark();
    else if (what == "codings")
        coding_benchmark();
    else {
        std::fprintf(stderr, "usage: router-bench routes|codings\n");
        return 2;
    }
}
