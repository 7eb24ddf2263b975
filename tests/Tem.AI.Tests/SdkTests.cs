using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Anthropic.Core;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.AI.Tests;

/// <summary>
/// The real OpenAI, Microsoft.Extensions.AI and Anthropic packages against the simulator over loopback: one request per
/// attempt at the server, and the SDKs' refusals turned into Tem's exceptions.
/// </summary>
public sealed class SdkTests
{
    private static ChatClient OpenAIChat(ProviderSimulator.ProviderSimulator simulator, OpenAIClientOptions options, string key = "key")
    {
        options.Endpoint = new Uri(simulator.BaseAddress, "v1");
        return new ChatClient("small", new ApiKeyCredential(key), options);
    }

    private static AnthropicClient AnthropicSdk(ProviderSimulator.ProviderSimulator simulator, HttpClient http, string key = "key")
        => new(new ClientOptions { ApiKey = key, BaseUrl = simulator.BaseAddress.ToString().TrimEnd('/'), HttpClient = http, MaxRetries = 0 });

    [Fact]
    public async Task TemOpenAI_Options_turn_the_SDK_retries_off_so_a_failing_call_is_one_request_at_the_server()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions { ServerErrorRate = 1 });
        var chat = OpenAIChat(simulator, TemOpenAI.Options(new ProviderLimits()));
        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("doc-1")]));
        Assert.InRange(error.Status, 500, 504);
        Assert.Equal(1, simulator.Counters.Requests);

        // The SDK's own default retries a 5xx: the same call without Tem's options is several requests.
        var plain = OpenAIChat(simulator, new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 2) });
        await Assert.ThrowsAsync<ClientResultException>(() => plain.CompleteChatAsync([new UserChatMessage("doc-2")]));
        Assert.Equal(1 + 3, simulator.Counters.Requests);
    }

    [Fact]
    public async Task The_OpenAI_policy_turns_a_429_into_a_RetryAfterException_with_the_providers_advice_after_one_request()
    {
        var options = new SimulatorOptions { RequestsPerMinute = 1, Headers = HeaderStyle.None };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(options);
        var limits = new ProviderLimits();
        var chat = OpenAIChat(simulator, TemOpenAI.Options(limits));
        ChatCompletion first = await chat.CompleteChatAsync([new UserChatMessage("doc-1")]);
        Assert.Equal("ok doc-1", first.Content[0].Text);
        var refusal = await Assert.ThrowsAsync<RetryAfterException>(() => chat.CompleteChatAsync([new UserChatMessage("doc-2")]));
        Assert.InRange(refusal.RetryAfter, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(61)); // retry-after-ms of a 1-a-minute limit
        Assert.Equal(2, simulator.Counters.Requests);
        var group = Assert.Single(limits.Snapshot());
        Assert.Equal("small", group.Group.Model);
        Assert.NotNull(group.Group.KeyFingerprint);
        Assert.Equal(1, group.Refusals);
    }

    [Fact]
    public async Task UseTem_maps_a_ClientResultException_429_read_from_the_raw_response_and_settles_from_usage()
    {
        var options = new SimulatorOptions { RequestsPerMinute = 1, Headers = HeaderStyle.None };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(options);
        var limits = new ProviderLimits();
        // The SDK without Tem's policy (retries off by hand): only UseTem sees the refusal, as ClientResultException.
        IChatClient chat = OpenAIChat(simulator, new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) })
            .AsIChatClient().AsBuilder().UseTem(limits, new TemChatClientOptions { ApiKey = "key" }).Build();
        var response = await chat.GetResponseAsync("doc-1", new ChatOptions { MaxOutputTokens = 32 });
        Assert.Equal("ok doc-1", response.Text);
        var refusal = await Assert.ThrowsAsync<RetryAfterException>(() => chat.GetResponseAsync("doc-2", new ChatOptions { MaxOutputTokens = 32 }));
        Assert.IsType<ClientResultException>(refusal.InnerException);
        Assert.InRange(refusal.RetryAfter, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(61));
        Assert.Equal(2, simulator.Counters.Requests);
        var group = Assert.Single(limits.Snapshot());
        Assert.Equal("small", group.Group.Model);
        Assert.Equal(2, group.Requests);
        Assert.Equal(1, group.Refusals);
    }

    [Fact]
    public async Task UseTem_over_the_Anthropic_SDK_without_Tems_handler_recognises_its_rate_limit_and_key_exceptions()
    {
        var options = new SimulatorOptions { RequestsPerMinute = 1, Headers = HeaderStyle.Anthropic, Account = new SimulatedAccount { ApiKey = "key", Style = HeaderStyle.Anthropic } };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(options);
        using var http = new HttpClient();
        IChatClient Chat(string key) => AnthropicSdk(simulator, http, key).AsIChatClient("small", 32).AsBuilder().UseTem(new ProviderLimits()).Build();

        var response = await Chat("key").GetResponseAsync("doc-1");
        Assert.Equal("ok doc-1", response.Text);
        var refusal = await Assert.ThrowsAsync<RetryAfterException>(() => Chat("key").GetResponseAsync("doc-2"));
        Assert.Equal("AnthropicRateLimitException", refusal.InnerException?.GetType().Name);
        var account = await Assert.ThrowsAsync<ProviderAccountException>(() => Chat("wrong").GetResponseAsync("doc-3"));
        Assert.Equal(ProviderAccountErrorKind.Credentials, account.Kind);
        Assert.Equal(401, account.StatusCode);
        Assert.Equal(3, simulator.Counters.Requests); // MaxRetries = 0: one request per call
    }

    [Fact]
    public async Task The_Anthropic_SDK_with_Tems_handler_and_MaxRetries_0_gets_Tems_refusal_after_one_request()
    {
        var options = new SimulatorOptions { RequestsPerMinute = 1, Headers = HeaderStyle.None };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(options);
        using var http = new HttpClient(new ProviderRateLimitHandler(new ProviderLimits()) { InnerHandler = new SocketsHttpHandler() });
        var client = AnthropicSdk(simulator, http);
        var request = new Anthropic.Models.Messages.MessageCreateParams { Model = "small", MaxTokens = 16, Messages = [new Anthropic.Models.Messages.UserMessageParam { Content = "doc-1" }] };
        await client.Messages.Create(request);
        await Assert.ThrowsAsync<RetryAfterException>(() => client.Messages.Create(request));
        Assert.Equal(2, simulator.Counters.Requests);
    }

    [Fact]
    public void UseTem_rejects_a_bad_group_name_when_the_pipeline_is_built()
    {
        var builder = new ChatClientBuilder(new OpenAIChatClientStub());
        var error = Assert.Throws<ArgumentException>(() => builder.UseTem(new ProviderLimits(), new TemChatClientOptions { LimitGroup = " spaced " }));
        Assert.Contains("without leading or trailing spaces", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Never called: the builder needs an inner client to exist, not to answer.</summary>
    private sealed class OpenAIChatClientStub : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
