<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ApiHost</name>
    <message>
        <source>API: answering a request from {client}…</source>
        <translation>API：正在回答来自 {client} 的请求…</translation>
    </message>
    <message numerus="yes">
        <source>API: answering %n requests together…</source>
        <translation>
            <numerusform>API：正在同时回答 %n 个请求…</numerusform>
        </translation>
    </message>
    <message>
        <source>API: paused while your message is answered</source>
        <translation>API：已暂停，正在回答你的消息</translation>
    </message>
    <message>
        <source>The server stopped.</source>
        <translation>服务器已停止。</translation>
    </message>
</context>
<context>
    <name>ApiPanel</name>
    <message>
        <source>Serve the model to other programs</source>
        <translation>向其他程序提供模型</translation>
    </message>
    <message>
        <source>API server</source>
        <translation>API 服务器</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>{THIS_COMPUTER}: only this computer. {ALL_NETWORKS}: every network this computer is on.</source>
        <translation>{THIS_COMPUTER}：仅这台电脑。{ALL_NETWORKS}：这台电脑所在的所有网络。</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Apply address</source>
        <translation>应用地址</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>API server status</source>
        <translation>API 服务器状态</translation>
    </message>
    <message>
        <source>API server problem</source>
        <translation>API 服务器问题</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the URL</source>
        <translation>复制 URL</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>令牌</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Show the token</source>
        <translation>显示令牌</translation>
    </message>
    <message>
        <source>Copy the token</source>
        <translation>复制令牌</translation>
    </message>
    <message>
        <source>New token…</source>
        <translation>新令牌…</translation>
    </message>
    <message>
        <source>Make a new token</source>
        <translation>生成新令牌</translation>
    </message>
    <message>
        <source>Example request</source>
        <translation>请求示例</translation>
    </message>
    <message>
        <source>Try it from a terminal:</source>
        <translation>在终端中试试：</translation>
    </message>
    <message>
        <source>On: serving {model} at {url}</source>
        <translation>已开启：在 {url} 提供 {model}</translation>
    </message>
    <message>
        <source>On at {url}, but no local model is loaded: requests are answered 503 until one is.</source>
        <translation>已在 {url} 开启，但没有加载本地模型：在加载之前，请求会得到 503 响应。</translation>
    </message>
    <message>
        <source>Not running</source>
        <translation>未运行</translation>
    </message>
    <message>
        <source>Serve to the network?</source>
        <translation>在网络上提供服务？</translation>
    </message>
    <message>
        <source>Listening on {host} lets other computers reach the API. {NETWORK_WARNING}

Serve there anyway?</source>
        <translation>在 {host} 上监听会让其他电脑访问此 API。{NETWORK_WARNING}

仍要在那里提供服务吗？</translation>
    </message>
    <message>
        <source>New token</source>
        <translation>新令牌</translation>
    </message>
    <message>
        <source>Make a new token? Programs using the current one are refused until they are given the new one.</source>
        <translation>生成新令牌？使用当前令牌的程序会被拒绝，直到换用新令牌。</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
</context>
<context>
    <name>ApiStatusLabel</name>
    <message>
        <source>API server</source>
        <translation>API 服务器</translation>
    </message>
    <message>
        <source>Last API request from {client}: {endpoint}, {outcome}, {prompt_tokens} prompt and {completion_tokens} reply tokens in {seconds:.1f} s</source>
        <translation>最近一次 API 请求来自 {client}：{endpoint}，{outcome}，{prompt_tokens} 个提示词元和 {completion_tokens} 个回复词元，用时 {seconds:.1f} 秒</translation>
    </message>
    <message>
        <source>, answered together with {value} others</source>
        <translation>，与其他 {value} 个请求一起回答</translation>
    </message>
    <message>
        <source>API on · {where}</source>
        <translation>API 已开启 · {where}</translation>
    </message>
    <message>
        <source> · network</source>
        <translation> · 网络</translation>
    </message>
    <message>
        <source>API off: could not start</source>
        <translation>API 已关闭：无法启动</translation>
    </message>
</context>
<context>
    <name>AttachmentBar</name>
    <message>
        <source>Attached document</source>
        <translation>已附加的文档</translation>
    </message>
    <message>
        <source>Remove the document from the message</source>
        <translation>从消息中移除文档</translation>
    </message>
    <message>
        <source>Remove document</source>
        <translation>移除文档</translation>
    </message>
    <message>
        <source>Summarize</source>
        <translation>生成摘要</translation>
    </message>
    <message>
        <source>Summarise the whole document, however long</source>
        <translation>为整篇文档生成摘要，无论多长</translation>
    </message>
    <message>
        <source>Summary progress</source>
        <translation>摘要进度</translation>
    </message>
    <message>
        <source>Attached collections</source>
        <translation>已附加的资料库</translation>
    </message>
    <message>
        <source>Attached collection {name}</source>
        <translation>已附加的资料库 {name}</translation>
    </message>
    <message>
        <source>Questions about a detail in this chat are answered from the collection “{name}” too ({files:,} files).</source>
        <translation>此对话中关于细节的问题也会从资料库“{name}”中寻找答案（{files:,} 个文件）。</translation>
    </message>
    <message>
        <source>Detach “{name}” from this chat</source>
        <translation>将“{name}”从此对话中移除</translation>
    </message>
    <message>
        <source>Detach collection {name}</source>
        <translation>移除资料库 {name}</translation>
    </message>
    <message>
        <source>{characters:,} characters</source>
        <translation>{characters:,} 个字符</translation>
    </message>
    <message>
        <source>, read as {encoding}</source>
        <translation>，按 {encoding} 读取</translation>
    </message>
    <message>
        <source> · about {duration} left</source>
        <translation> · 约剩 {duration}</translation>
    </message>
</context>
<context>
    <name>CandidatesModel</name>
    <message>
        <source>No answers were written for this candidate: the probability per token of the expected outputs (mean log-probability {gold_logprob:.2f}).</source>
        <translation>此候选没有生成答案：期望输出的每词元概率（平均对数概率 {gold_logprob:.2f}）。</translation>
    </message>
    <message>
        <source> ★ best</source>
        <translation> ★ 最佳</translation>
    </message>
    <message>
        <source>{exp:.0%} per token</source>
        <translation>每词元 {exp:.0%}</translation>
    </message>
</context>
<context>
    <name>ChatListModel</name>
    <message>
        <source>{title}, match: {snippet}</source>
        <translation>{title}，匹配：{snippet}</translation>
    </message>
</context>
<context>
    <name>ChatPanel</name>
    <message>
        <source>Chat notice</source>
        <translation>对话提示</translation>
    </message>
    <message>
        <source>Attach…</source>
        <translation>附加…</translation>
    </message>
    <message>
        <source>Attach a document: .txt, .md, .html, .pdf or .docx</source>
        <translation>附加文档：.txt、.md、.html、.pdf 或 .docx</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send or stop</source>
        <translation>发送或停止</translation>
    </message>
    <message>
        <source>Copy message</source>
        <translation>复制消息</translation>
    </message>
    <message>
        <source>Copy code</source>
        <translation>复制代码</translation>
    </message>
    <message>
        <source>Regenerate reply</source>
        <translation>重新生成回复</translation>
    </message>
    <message>
        <source>Edit last message</source>
        <translation>编辑上一条消息</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Show or hide thinking</source>
        <translation>显示或隐藏思考</translation>
    </message>
    <message>
        <source>Attach collection</source>
        <translation>附加资料库</translation>
    </message>
    <message>
        <source>Attach a named collection to this chat: questions about a detail are answered from its passages too, with citations</source>
        <translation>将资料库附加到此对话：关于细节的问题也会从其段落中寻找答案，并附引用</translation>
    </message>
    <message>
        <source>Collections to attach</source>
        <translation>可附加的资料库</translation>
    </message>
    <message>
        <source>Think</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>Think before answering</source>
        <translation>先思考再回答</translation>
    </message>
    <message>
        <source>{text} ({toString} in the conversation)</source>
        <translation>{text}（在对话中按 {toString}）</translation>
    </message>
    <message>
        <source>Attach a document</source>
        <translation>附加文档</translation>
    </message>
    <message>
        <source>Documents (*.txt *.md *.markdown *.html *.htm *.pdf *.docx);;All files (*)</source>
        <translation>文档 (*.txt *.md *.markdown *.html *.htm *.pdf *.docx);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Reading the document…</source>
        <translation>正在读取文档…</translation>
    </message>
    <message>
        <source>Starting the summary…</source>
        <translation>正在开始生成摘要…</translation>
    </message>
    <message>
        <source>Editing your last message — Enter resends it, Esc cancels.</source>
        <translation>正在编辑你的上一条消息 — 按 Enter 重新发送，按 Esc 取消。</translation>
    </message>
    <message>
        <source>Message copied.</source>
        <translation>消息已复制。</translation>
    </message>
    <message>
        <source>This message has no code block.</source>
        <translation>这条消息没有代码块。</translation>
    </message>
    <message>
        <source>Copied 1 code block.</source>
        <translation>已复制 1 个代码块。</translation>
    </message>
    <message numerus="yes">
        <source>Copied %n code blocks.</source>
        <translation>
            <numerusform>已复制 %n 个代码块。</numerusform>
        </translation>
    </message>
    <message>
        <source>Hide thinking</source>
        <translation>隐藏思考</translation>
    </message>
    <message>
        <source>Show thinking</source>
        <translation>显示思考</translation>
    </message>
    <message>
        <source>Show source [{number}]: {where}</source>
        <translation>显示来源 [{number}]：{where}</translation>
    </message>
    <message>
        <source>No collections yet: make one in the Collections tab, then attach it here.</source>
        <translation>还没有资料库：先在“资料库”标签页中创建一个，再在这里附加。</translation>
    </message>
    <message>
        <source>Go to the Collections tab</source>
        <translation>前往“资料库”标签页</translation>
    </message>
    <message>
        <source>{files:,} files, {passages:,} passages</source>
        <translation>{files:,} 个文件，{passages:,} 个段落</translation>
    </message>
    <message>
        <source>Reading the conversation… {value}% ({done:,} of {total:,} tokens). Esc stops.</source>
        <translation>正在读取对话… {value}%（{done:,} / {total:,} 个词元）。按 Esc 停止。</translation>
    </message>
    <message>
        <source>The chat is full</source>
        <translation>对话已满</translation>
    </message>
    <message>
        <source>Models tab, Chat template…</source>
        <translation>“模型”标签页，对话模板…</translation>
    </message>
    <message>
        <source>No model is loaded: {reason}</source>
        <translation>未加载模型：{reason}</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Conversation</source>
        <translation>对话内容</translation>
    </message>
    <message>
        <source>{arrow} ({version_text} shown)</source>
        <translation>{arrow}（显示的是{version_text}）</translation>
    </message>
</context>
<context>
    <name>CollectionListModel</name>
    <message>
        <source>nothing added yet</source>
        <translation>尚未添加任何内容</translation>
    </message>
</context>
<context>
    <name>CollectionsTab</name>
    <message>
        <source>Collections problem</source>
        <translation>资料库问题</translation>
    </message>
    <message>
        <source>Indexing status</source>
        <translation>索引状态</translation>
    </message>
    <message>
        <source>&lt;b&gt;Collections&lt;/b&gt;</source>
        <translation>&lt;b&gt;资料库&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Collections</source>
        <translation>资料库</translation>
    </message>
    <message>
        <source>No collections yet. New… makes one.</source>
        <translation>还没有资料库。点击“新建…”创建一个。</translation>
    </message>
    <message>
        <source>New…</source>
        <translation>新建…</translation>
    </message>
    <message>
        <source>New collection</source>
        <translation>新建资料库</translation>
    </message>
    <message>
        <source>Make a new, empty collection</source>
        <translation>新建一个空资料库</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove collection</source>
        <translation>移除资料库</translation>
    </message>
    <message>
        <source>Remove the collection from Hearth; its files stay on disk</source>
        <translation>从 Hearth 中移除资料库；文件仍留在磁盘上</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Add files to the collection</source>
        <translation>向资料库添加文件</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add a folder to the collection</source>
        <translation>向资料库添加文件夹</translation>
    </message>
    <message>
        <source>Re-index</source>
        <translation>重新索引</translation>
    </message>
    <message>
        <source>Re-index the collection</source>
        <translation>重新索引资料库</translation>
    </message>
    <message>
        <source>Read again the files that changed, take in new ones and drop removed ones</source>
        <translation>重新读取有变化的文件，纳入新文件并移除已删除的文件</translation>
    </message>
    <message>
        <source>Files in the collection</source>
        <translation>资料库中的文件</translation>
    </message>
    <message>
        <source>Indexing progress</source>
        <translation>索引进度</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop indexing</source>
        <translation>停止索引</translation>
    </message>
    <message>
        <source>Stop after the file being read; the files done stay indexed</source>
        <translation>读完当前文件后停止；已完成的文件保留索引</translation>
    </message>
    <message>
        <source>Name of the new collection:</source>
        <translation>新资料库的名称：</translation>
    </message>
    <message>
        <source>Add files to “{name}”</source>
        <translation>向“{name}”添加文件</translation>
    </message>
    <message>
        <source>Documents ({kinds})</source>
        <translation>文档 ({kinds})</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>Add a folder to “{name}”</source>
        <translation>向“{name}”添加文件夹</translation>
    </message>
    <message>
        <source>Stopping after this file…</source>
        <translation>读完此文件后停止…</translation>
    </message>
    <message>
        <source>Remove the collection “{name}”?</source>
        <translation>移除资料库“{name}”？</translation>
    </message>
    <message>
        <source>Its index is deleted from Hearth. The files themselves stay on disk, untouched.</source>
        <translation>它的索引会从 Hearth 中删除。文件本身留在磁盘上，不受影响。</translation>
    </message>
    <message>
        <source>&lt;b&gt;No collection yet&lt;/b&gt;</source>
        <translation>&lt;b&gt;还没有资料库&lt;/b&gt;</translation>
    </message>
    <message>
        <source>From {sources}</source>
        <translation>来自 {sources}</translation>
    </message>
    <message>
        <source>Indexing…</source>
        <translation>正在索引…</translation>
    </message>
    <message>
        <source>Indexing {value} of {total}: {name}</source>
        <translation>正在索引第 {value} 个，共 {total} 个：{name}</translation>
    </message>
</context>
<context>
    <name>CollectionsWorker</name>
    <message>
        <source>watch the collections&apos; folders</source>
        <translation>监视资料库的文件夹</translation>
    </message>
    <message>
        <source>list the collections</source>
        <translation>列出资料库</translation>
    </message>
    <message>
        <source>make the collection</source>
        <translation>创建资料库</translation>
    </message>
    <message>
        <source>add to the collection</source>
        <translation>添加到资料库</translation>
    </message>
    <message>
        <source>index the collection</source>
        <translation>为资料库建立索引</translation>
    </message>
    <message>
        <source>That collection is no longer there.</source>
        <translation>该资料库已不存在。</translation>
    </message>
    <message>
        <source>remove “{name}”</source>
        <translation>移除“{name}”</translation>
    </message>
    <message>
        <source>search the collection</source>
        <translation>搜索资料库</translation>
    </message>
    <message>
        <source>index “{name}”</source>
        <translation>为“{name}”建立索引</translation>
    </message>
    <message>
        <source>Could not {doing}: {error}</source>
        <translation>无法{doing}：{error}</translation>
    </message>
    <message>
        <source>Indexing “{name}” stopped. {message}</source>
        <translation>“{name}”的索引已停止。{message}</translation>
    </message>
    <message>
        <source>Hearth is closing.</source>
        <translation>Hearth 正在关闭。</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Message the model — Enter to send, Shift+Enter for a new line</source>
        <translation>给模型发消息 — Enter 发送，Shift+Enter 换行</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
</context>
<context>
    <name>EngineWorker</name>
    <message>
        <source>The chat database is not open.</source>
        <translation>对话数据库未打开。</translation>
    </message>
    <message>
        <source>loading a model</source>
        <translation>加载模型</translation>
    </message>
    <message>
        <source>{error} {name} answers without a draft model.</source>
        <translation>{error} {name} 将在没有草稿模型的情况下回答。</translation>
    </message>
    <message>
        <source>loading the draft model</source>
        <translation>正在加载草稿模型</translation>
    </message>
    <message>
        <source>Unexpected error: {end}</source>
        <translation>意外错误：{end}</translation>
    </message>
    <message>
        <source>reloading the model</source>
        <translation>重新加载模型</translation>
    </message>
    <message>
        <source>It is loaded again.</source>
        <translation>已重新加载。</translation>
    </message>
    <message>
        <source>The engine started again with {name}; the search model loads again when it is next needed.</source>
        <translation>引擎已用 {name} 重新启动；搜索模型将在下次需要时重新加载。</translation>
    </message>
    <message>
        <source>{error} Still using {name}.</source>
        <translation>{error} 仍在使用 {name}。</translation>
    </message>
    <message>
        <source>Unexpected error: {error}</source>
        <translation>意外错误：{error}</translation>
    </message>
    <message>
        <source>The network switch is off, so {key} was not opened.</source>
        <translation>网络开关已关闭，因此未打开 {key}。</translation>
    </message>
    <message>
        <source>the remote model</source>
        <translation>远程模型</translation>
    </message>
    <message>
        <source>The network switch is off, so {name} (a remote engine) is turned off. Pick a local model, or turn the switch on.</source>
        <translation>网络开关已关闭，因此 {name}（远程引擎）已关闭。请选择本地模型，或打开网络开关。</translation>
    </message>
    <message>
        <source>The runtime settings were not applied; the previous ones stay in use.</source>
        <translation>运行时设置未应用；继续使用之前的设置。</translation>
    </message>
    <message>
        <source>The collections are not open.</source>
        <translation>资料库尚未打开。</translation>
    </message>
    <message>
        <source>The chat was deleted.</source>
        <translation>对话已删除。</translation>
    </message>
    <message>
        <source>Wait for the reply to finish, or stop it, to see other versions.</source>
        <translation>请等待回复完成或停止它，再查看其他版本。</translation>
    </message>
    <message>
        <source>A reply is still being written.</source>
        <translation>仍在生成回复。</translation>
    </message>
    <message>
        <source>the reply being written</source>
        <translation>正在生成的回复</translation>
    </message>
    <message>
        <source>Waiting for {what} to finish; your message is next.</source>
        <translation>正在等待{what}完成；接下来处理你的消息。</translation>
    </message>
    <message>
        <source>No model is loaded.</source>
        <translation>未加载模型。</translation>
    </message>
    <message>
        <source>The reply failed: {end}</source>
        <translation>回复失败：{end}</translation>
    </message>
    <message>
        <source>Hearth is closing.</source>
        <translation>Hearth 正在关闭。</translation>
    </message>
</context>
<context>
    <name>ExamplesModel</name>
    <message>
        <source>Held out: only the final comparison reads it, never the search.</source>
        <translation>留出：只有最终对比会读取它，搜索过程从不读取。</translation>
    </message>
</context>
<context>
    <name>FileListModel</name>
    <message>
        <source>1 file</source>
        <translation>1 个文件</translation>
    </message>
    <message>
        <source>{count} parts</source>
        <translation>{count} 个分卷</translation>
    </message>
</context>
<context>
    <name>FirstRunWorker</name>
    <message>
        <source>Unexpected error: {end}</source>
        <translation>意外错误：{end}</translation>
    </message>
    <message>
        <source>Hearth&apos;s speed check</source>
        <translation>Hearth 的速度检测</translation>
    </message>
</context>
<context>
    <name>HearthStatusBar</name>
    <message>
        <source>Loading model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Speed of the last reply</source>
        <translation>上一条回复的速度</translation>
    </message>
    <message>
        <source>Context window use</source>
        <translation>上下文窗口用量</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>撤销删除</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <source>{name} · remote ({endpoint})</source>
        <translation>{name} · 远程（{endpoint}）</translation>
    </message>
    <message>
        <source> · drafted by {draft}</source>
        <translation> · 由 {draft} 起草</translation>
    </message>
    <message>
        <source>{path}
Architecture: {architecture}
Context: {n_ctx:,} of {n_ctx_train:,} trained</source>
        <translation>{path}
架构：{architecture}
上下文：{n_ctx:,}，训练长度 {n_ctx_train:,}</translation>
    </message>
    <message>
        <source>1 thread</source>
        <translation>1 个线程</translation>
    </message>
    <message numerus="yes">
        <source>%n threads</source>
        <translation>
            <numerusform>%n 个线程</numerusform>
        </translation>
    </message>
    <message>
        <source> · {acceptance:.0%} of drafts kept</source>
        <translation> · 保留了 {acceptance:.0%} 的草稿</translation>
    </message>
    <message>
        <source>{tokens_per_second:.1f} tok/s · {generated_tokens} tokens{drafts}</source>
        <translation>{tokens_per_second:.1f} 词元/秒 · {generated_tokens} 个词元{drafts}</translation>
    </message>
    <message>
        <source>First token after {seconds_to_first_token:.2f} s; {evaluated_tokens} of {prompt_tokens} prompt tokens evaluated; seed {seed}</source>
        <translation>首个词元用时 {seconds_to_first_token:.2f} 秒；已处理 {prompt_tokens} 个提示词元中的 {evaluated_tokens} 个；种子 {seed}</translation>
    </message>
    <message>
        <source>; {accepted_tokens} of {drafted_tokens} drafted tokens (looked up in the conversation or written by the draft model) were the model&apos;s own choice</source>
        <translation>；草拟的 {drafted_tokens} 个词元（从对话中查得或由草稿模型写出）中有 {accepted_tokens} 个与模型自己的选择一致</translation>
    </message>
    <message>
        <source>Context {used:,} / {n_ctx:,} ({percent:.0f}%)</source>
        <translation>上下文 {used:,} / {n_ctx:,}（{percent:.0f}%）</translation>
    </message>
    <message>
        <source>Deleted “{title}”.</source>
        <translation>已删除“{title}”。</translation>
    </message>
</context>
<context>
    <name>InstalledModelsModel</name>
    <message>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>loaded</source>
        <translation>已加载</translation>
    </message>
    <message>
        <source>drafts for the loaded model</source>
        <translation>为已加载的模型起草</translation>
    </message>
    <message>
        <source>unusable</source>
        <translation>不可用</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Hearth</source>
        <translation>Hearth</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Prompt Lab</source>
        <translation>提示词实验室</translation>
    </message>
    <message>
        <source>Collections</source>
        <translation>资料库</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>API server</source>
        <translation>API 服务器</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>新建对话(&amp;N)</translation>
    </message>
    <message>
        <source>Open &amp;model file…</source>
        <translation>打开模型文件(&amp;M)…</translation>
    </message>
    <message>
        <source>Remote engines are on.</source>
        <translation>远程引擎已开启。</translation>
    </message>
    <message>
        <source>Export chat as &amp;Markdown…</source>
        <translation>将对话导出为 Markdown(&amp;M)…</translation>
    </message>
    <message>
        <source>Export chat as &amp;JSON…</source>
        <translation>将对话导出为 JSON(&amp;J)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Find in chats</source>
        <translation>在对话中查找(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Hearth</source>
        <translation>关于 Hearth(&amp;A)</translation>
    </message>
    <message>
        <source>Open a model file</source>
        <translation>打开模型文件</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Export chat</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>{value} — Hearth</source>
        <translation>{value} — Hearth</translation>
    </message>
    <message>
        <source>Settings reset</source>
        <translation>设置已重置</translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>  · stopped</source>
        <translation>  · 已停止</translation>
    </message>
    <message>
        <source>  · the model stopped unexpectedly</source>
        <translation>  · 模型意外停止</translation>
    </message>
    <message>
        <source>  · writing…</source>
        <translation>  · 正在生成…</translation>
    </message>
</context>
<context>
    <name>MessageListModel</name>
    <message>
        <source> (stopped)</source>
        <translation>（已停止）</translation>
    </message>
    <message>
        <source>, shown: {reasoning}</source>
        <translation>，已展开：{reasoning}</translation>
    </message>
    <message>
        <source>, hidden (Space shows it)</source>
        <translation>，已折叠（按空格显示）</translation>
    </message>
    <message>
        <source> {instead}: in the message&apos;s menu.</source>
        <translation>{instead}：在消息的菜单中。</translation>
    </message>
    <message>
        <source> {version}: Previous version and Next version in the message&apos;s menu.</source>
        <translation>{version}：消息菜单中的“上一版本”和“下一版本”。</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>The model answering in this window; pick another to switch</source>
        <translation>在此窗口中回答的模型；选择另一个即可切换</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
</context>
<context>
    <name>ModelsTab</name>
    <message>
        <source>Installed models</source>
        <translation>已安装的模型</translation>
    </message>
    <message>
        <source>Use now</source>
        <translation>立即使用</translation>
    </message>
    <message>
        <source>Set as default</source>
        <translation>设为默认</translation>
    </message>
    <message>
        <source>Use as draft</source>
        <translation>用作草稿模型</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>Add a .gguf file from this computer (or drop it here)</source>
        <translation>从这台电脑添加 .gguf 文件（或拖放到这里）</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Chat template…</source>
        <translation>对话模板…</translation>
    </message>
    <message>
        <source>How Hearth reads the conversation to this model: its own template, a built-in one, or none (a base model)</source>
        <translation>Hearth 如何把对话读给此模型：用它自己的模板、内置模板，或不用模板（基础模型）</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Cancel download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>On this computer</source>
        <translation>在这台电脑上</translation>
    </message>
    <message>
        <source>Search Hugging Face for GGUF models, e.g. qwen</source>
        <translation>在 Hugging Face 上搜索 GGUF 模型，例如 qwen</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Recommended</source>
        <translation>推荐</translation>
    </message>
    <message>
        <source>Recommended chat models for a desktop, with the speed predicted on this computer. Search needs the network; everything else works offline.</source>
        <translation>适合桌面电脑的推荐对话模型，附带在这台电脑上的预计速度。搜索需要联网；其他功能都可离线使用。</translation>
    </message>
    <message>
        <source>Models to get</source>
        <translation>可获取的模型</translation>
    </message>
    <message>
        <source>Pick a model to see its files.</source>
        <translation>选择一个模型以查看它的文件。</translation>
    </message>
    <message>
        <source>Files of the model</source>
        <translation>模型的文件</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Hugging Face token…</source>
        <translation>Hugging Face 令牌…</translation>
    </message>
    <message>
        <source>For gated models: stored in the system keyring, or in a file only you can read</source>
        <translation>用于受限模型：保存在系统密钥环中，或只有你能读取的文件中</translation>
    </message>
    <message>
        <source>Get models</source>
        <translation>获取模型</translation>
    </message>
    <message>
        <source>Stop listing</source>
        <translation>停止列出</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>The file stays where it is.</source>
        <translation>文件留在原处。</translation>
    </message>
    <message>
        <source>This deletes {format_bytes} from {parent}.</source>
        <translation>这将从 {parent} 删除 {format_bytes}。</translation>
    </message>
    <message>
        <source>Jinja from a file…</source>
        <translation>从文件读取 Jinja…</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>{name} is read with: {describe}.

Read it with:</source>
        <translation>{name} 的读取方式：{describe}。

改用以下方式读取：</translation>
    </message>
    <message>
        <source>A Jinja chat template</source>
        <translation>Jinja 对话模板</translation>
    </message>
    <message>
        <source>Jinja templates (*.jinja *.j2 *.txt);;All files (*)</source>
        <translation>Jinja 模板 (*.jinja *.j2 *.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Cannot read {path}: {error}</source>
        <translation>无法读取 {path}：{error}</translation>
    </message>
    <message>
        <source>Import a model file</source>
        <translation>导入模型文件</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Import a model</source>
        <translation>导入模型</translation>
    </message>
    <message>
        <source>How should Hearth keep {name}?</source>
        <translation>Hearth 应如何保存 {name}？</translation>
    </message>
    <message>
        <source>Copy into Hearth&apos;s models folder</source>
        <translation>复制到 Hearth 的模型文件夹</translation>
    </message>
    <message>
        <source>Use it where it is</source>
        <translation>在原位置使用</translation>
    </message>
    <message>
        <source>Checking {name}…</source>
        <translation>正在检查 {name}…</translation>
    </message>
    <message>
        <source>Recommended chat models for a desktop.</source>
        <translation>适合桌面电脑的推荐对话模型。</translation>
    </message>
    <message>
        <source>Searching Hugging Face for “{query}”…</source>
        <translation>正在 Hugging Face 上搜索“{query}”…</translation>
    </message>
    <message>
        <source>Files of {repo_id}: asking the Hub for exact sizes…</source>
        <translation>{repo_id} 的文件：正在向 Hub 查询确切大小…</translation>
    </message>
    <message>
        <source>Listing the files of {repo_id}…</source>
        <translation>正在列出 {repo_id} 的文件…</translation>
    </message>
    <message>
        <source>{repo_id} has no GGUF chat model files.</source>
        <translation>{repo_id} 没有 GGUF 对话模型文件。</translation>
    </message>
    <message>
        <source>Hugging Face token</source>
        <translation>Hugging Face 令牌</translation>
    </message>
    <message>
        <source>Paste a token from huggingface.co/settings/tokens (read access is enough).
Leave it empty to forget the stored token.</source>
        <translation>从 huggingface.co/settings/tokens 粘贴令牌（读取权限即可）。
留空则忘记已保存的令牌。</translation>
    </message>
    <message>
        <source>RAM {format_bytes}</source>
        <translation>内存 {format_bytes}</translation>
    </message>
    <message>
        <source>, {format_bytes} free</source>
        <translation>，可用 {format_bytes}</translation>
    </message>
    <message>
        <source>GPU {value}: {format_bytes} free</source>
        <translation>GPU {value}：可用 {format_bytes}</translation>
    </message>
    <message>
        <source>memory shown for {n_ctx:,} tokens of context</source>
        <translation>按 {n_ctx:,} 个词元的上下文显示内存</translation>
    </message>
    <message>
        <source>, the cache at {bits} bits</source>
        <translation>，缓存为 {bits} 位</translation>
    </message>
    <message>
        <source>1 repository</source>
        <translation>1 个仓库</translation>
    </message>
    <message numerus="yes">
        <source>%n repositories</source>
        <translation>
            <numerusform>%n 个仓库</numerusform>
        </translation>
    </message>
    <message>
        <source>{count} with GGUF files.</source>
        <translation>{count}，含 GGUF 文件。</translation>
    </message>
    <message>
        <source>No GGUF repositories match.</source>
        <translation>没有匹配的 GGUF 仓库。</translation>
    </message>
    <message>
        <source> Hearth&apos;s built-in {template_family} template has its format.</source>
        <translation>Hearth 内置的 {template_family} 模板使用这种格式。</translation>
    </message>
    <message>
        <source> Sizes shown are the catalog&apos;s, approximate.</source>
        <translation>显示的大小来自目录，为近似值。</translation>
    </message>
    <message>
        <source>Copying {name}: {format_bytes} of {format_bytes2}</source>
        <translation>正在复制 {name}：{format_bytes} / {format_bytes2}</translation>
    </message>
    <message>
        <source>{name} imported.</source>
        <translation>已导入 {name}。</translation>
    </message>
    <message>
        <source>Stop drafting</source>
        <translation>停止起草</translation>
    </message>
    <message>
        <source>{model} answers without drafts from this model</source>
        <translation>{model} 将不再使用此模型的草稿回答</translation>
    </message>
    <message>
        <source>A smaller model with the same vocabulary drafts tokens that {model} checks in one batch: the same text, faster where the drafts are kept (used only where it pays)</source>
        <translation>一个词表相同的较小模型起草词元，由 {model} 一次批量核对：文字完全相同，草稿被采纳时更快（只在划算时使用）</translation>
    </message>
    <message>
        <source>the loaded model</source>
        <translation>已加载的模型</translation>
    </message>
</context>
<context>
    <name>ModelsWorker</name>
    <message>
        <source>Unexpected error: {error}</source>
        <translation>意外错误：{error}</translation>
    </message>
    <message>
        <source>Another model is being imported; wait for it to finish.</source>
        <translation>另一个模型正在导入；请等它完成。</translation>
    </message>
    <message>
        <source>Import cancelled; nothing was kept.</source>
        <translation>已取消导入；没有保留任何内容。</translation>
    </message>
    <message>
        <source>The import ended without a result.</source>
        <translation>导入结束，但没有结果。</translation>
    </message>
    <message>
        <source>Import cancelled: Hearth is closing.</source>
        <translation>已取消导入：Hearth 正在关闭。</translation>
    </message>
</context>
<context>
    <name>NetworkAction</name>
    <message>
        <source>Off: no remote engine is contacted; chats use local models only</source>
        <translation>关闭：不联系任何远程引擎；对话只使用本地模型</translation>
    </message>
</context>
<context>
    <name>NumberFieldsForm</name>
    <message>
        <source>&lt;p&gt;Show the less common settings: {names}.&lt;/p&gt;</source>
        <translation>&lt;p&gt;显示不常用的设置：{names}。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>{label} changed</source>
        <translation>{label} 已更改</translation>
    </message>
    <message>
        <source>{label} value</source>
        <translation>{label} 值</translation>
    </message>
    <message>
        <source>{label} slider</source>
        <translation>{label} 滑块</translation>
    </message>
    <message>
        <source>{label} explanation</source>
        <translation>{label} 说明</translation>
    </message>
    <message>
        <source>{label} error</source>
        <translation>{label} 错误</translation>
    </message>
    <message>
        <source>{label} note</source>
        <translation>{label} 备注</translation>
    </message>
    <message>
        <source>Changed: {preset} uses {value}.</source>
        <translation>已更改：{preset} 使用 {value}。</translation>
    </message>
</context>
<context>
    <name>PassagePanel</name>
    <message>
        <source>Close the passage</source>
        <translation>关闭段落</translation>
    </message>
    <message>
        <source>Passage text</source>
        <translation>段落文本</translation>
    </message>
    <message>
        <source>; the words of your question are highlighted</source>
        <translation>；问题中的词已高亮</translation>
    </message>
    <message>
        <source>The passage the reply cites as [{number}]{found}.</source>
        <translation>回复引用为 [{number}] 的段落{found}。</translation>
    </message>
</context>
<context>
    <name>PromptLabTab</name>
    <message>
        <source>Exported to {path}.</source>
        <translation>已导出到 {path}。</translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>No tasks yet. Type examples in the table on the right, or Import… a .jsonl or .csv file.</source>
        <translation>还没有任务。在右侧表格中输入样例，或“导入…”一个 .jsonl 或 .csv 文件。</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>A new task, typed in the examples table</source>
        <translation>新建任务，在样例表格中输入</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>A new task from a .jsonl or .csv file with input and output columns</source>
        <translation>从包含输入列和输出列的 .jsonl 或 .csv 文件新建任务</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Presets</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>No presets yet. Tune a task, then save the best prompt as a preset from Results.</source>
        <translation>还没有预设。先调优一个任务，再在“结果”中把最佳提示词保存为预设。</translation>
    </message>
    <message>
        <source>Use in a new chat</source>
        <translation>在新对话中使用</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete preset</source>
        <translation>删除预设</translation>
    </message>
    <message>
        <source>Budget</source>
        <translation>预算</translation>
    </message>
    <message>
        <source>Tune</source>
        <translation>调优</translation>
    </message>
    <message>
        <source>Search for the prompt that works best on this task&apos;s examples with the loaded model</source>
        <translation>用已加载的模型，在此任务的样例上搜索效果最好的提示词</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the search and keep the best prompt so far</source>
        <translation>停止搜索并保留目前最好的提示词</translation>
    </message>
    <message>
        <source>Tuning progress</source>
        <translation>调优进度</translation>
    </message>
    <message>
        <source>Budget:</source>
        <translation>预算：</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Results</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Import a task</source>
        <translation>导入任务</translation>
    </message>
    <message>
        <source>Export the examples</source>
        <translation>导出样例</translation>
    </message>
    <message>
        <source>JSON Lines (*.jsonl);;CSV (*.csv)</source>
        <translation>JSON Lines (*.jsonl);;CSV (*.csv)</translation>
    </message>
    <message>
        <source>Delete {name}?</source>
        <translation>删除 {name}？</translation>
    </message>
    <message>
        <source>Delete the task “{name}” and its {count} examples? Its past runs stay on disk.</source>
        <translation>删除任务“{name}”及其 {count} 个样例？它过去的运行记录仍保留在磁盘上。</translation>
    </message>
    <message>
        <source>{count} examples, {replace}</source>
        <translation>{count} 个样例，{replace}</translation>
    </message>
    <message>
        <source>Estimated from a short measurement of this model on this task, on this computer</source>
        <translation>根据此模型在此任务上、在这台电脑上的简短测量估算</translation>
    </message>
    <message>
        <source>The time is measured once a model is loaded</source>
        <translation>加载模型后会测量所需时间</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source> · {duration} left</source>
        <translation> · 剩余 {duration}</translation>
    </message>
    <message>
        <source>{stage}: {candidates_left} candidates in play · best so far {best}{left}</source>
        <translation>{stage}：{candidates_left} 个候选仍在竞争 · 目前最佳 {best}{left}</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>{how} after {seconds:.0f} s</source>
        <translation>{how}，用时 {seconds:.0f} 秒</translation>
    </message>
    <message>
        <source>; the best prompt so far is kept.</source>
        <translation>；已保留目前最好的提示词。</translation>
    </message>
    <message>
        <source>Save as preset</source>
        <translation>保存为预设</translation>
    </message>
    <message>
        <source>Preset name (a preset of the same name is replaced):</source>
        <translation>预设名称（同名预设将被替换）：</translation>
    </message>
    <message>
        <source>, held-out {score_text} on {test_n}</source>
        <translation>，留出集 {score_text}（{test_n} 个）</translation>
    </message>
    <message>
        <source>{task_name}: tuned on {model_name}{measured}</source>
        <translation>{task_name}：在 {model_name} 上调优{measured}</translation>
    </message>
    <message>
        <source>Delete the preset “{name}”? Chats that use it keep working.</source>
        <translation>删除预设“{name}”？使用它的对话仍可正常工作。</translation>
    </message>
</context>
<context>
    <name>PromptLabWorker</name>
    <message>
        <source>No model is loaded.</source>
        <translation>未加载模型。</translation>
    </message>
    <message>
        <source>Unexpected error: {end}</source>
        <translation>意外错误：{end}</translation>
    </message>
    <message>
        <source>the Prompt Lab&apos;s estimate</source>
        <translation>提示词实验室的估算</translation>
    </message>
    <message>
        <source>Tuning is running.</source>
        <translation>正在调优。</translation>
    </message>
    <message>
        <source>A reply is being written; wait for it or stop it.</source>
        <translation>正在生成回复；请等待或停止它。</translation>
    </message>
    <message>
        <source>the Prompt Lab&apos;s tuning</source>
        <translation>提示词实验室的调优</translation>
    </message>
    <message>
        <source>The run could not be saved: {error}</source>
        <translation>无法保存此次运行：{error}</translation>
    </message>
    <message>
        <source>The search ended without a result.</source>
        <translation>搜索结束，但没有结果。</translation>
    </message>
    <message>
        <source>Tuning failed: {end}</source>
        <translation>调优失败：{end}</translation>
    </message>
    <message>
        <source>Hearth is closing.</source>
        <translation>Hearth 正在关闭。</translation>
    </message>
</context>
<context>
    <name>RemoteEnginesClient</name>
    <message>
        <source>The network switch could not be saved: {error}</source>
        <translation>无法保存网络开关：{error}</translation>
    </message>
    <message>
        <source>Unexpected error: {error}</source>
        <translation>意外错误：{error}</translation>
    </message>
</context>
<context>
    <name>RemoteEnginesPanel</name>
    <message>
        <source>Remote engines</source>
        <translation>远程引擎</translation>
    </message>
    <message>
        <source>OpenAI-compatible servers (llama.cpp&apos;s server, vLLM, Ollama, another Hearth) whose models chats, documents and the Prompt Lab can use</source>
        <translation>兼容 OpenAI 的服务器（llama.cpp 的服务器、vLLM、Ollama、另一个 Hearth），其模型可用于对话、文档和提示词实验室</translation>
    </message>
    <message>
        <source>Name, e.g. lab</source>
        <translation>名称，例如 lab</translation>
    </message>
    <message>
        <source>Remote engine name</source>
        <translation>远程引擎名称</translation>
    </message>
    <message>
        <source>Remote engine address</source>
        <translation>远程引擎地址</translation>
    </message>
    <message>
        <source>API key (optional)</source>
        <translation>API 密钥（可选）</translation>
    </message>
    <message>
        <source>Remote engine API key</source>
        <translation>远程引擎 API 密钥</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Remote engines and their models</source>
        <translation>远程引擎及其模型</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>Use model</source>
        <translation>使用模型</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>移除…</translation>
    </message>
    <message>
        <source>Give the engine a name and the address of its API.</source>
        <translation>请为引擎命名，并填写其 API 的地址。</translation>
    </message>
    <message>
        <source>Adding {name}…</source>
        <translation>正在添加 {name}…</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Switching the chat to {key}…</source>
        <translation>正在将对话切换到 {key}…</translation>
    </message>
    <message>
        <source>Remove remote engine</source>
        <translation>移除远程引擎</translation>
    </message>
    <message>
        <source>Remove “{name}” and its saved API key? Chats keep their messages.</source>
        <translation>移除“{name}”及其保存的 API 密钥？对话会保留其中的消息。</translation>
    </message>
    <message>
        <source>Added {name}; asking it for its models…</source>
        <translation>已添加 {name}；正在获取它的模型…</translation>
    </message>
    <message>
        <source>1 model</source>
        <translation>1 个模型</translation>
    </message>
    <message numerus="yes">
        <source>%n models</source>
        <translation>
            <numerusform>%n 个模型</numerusform>
        </translation>
    </message>
    <message>
        <source>{model_key_for} — double-click to use it</source>
        <translation>{model_key_for} — 双击即可使用</translation>
    </message>
    <message>
        <source>From the server&apos;s models list</source>
        <translation>来自服务器的模型列表</translation>
    </message>
    <message>
        <source>The server does not say; Hearth assumes 4,096 tokens</source>
        <translation>服务器未说明；Hearth 假定为 4,096 个词元</translation>
    </message>
    <message>
        <source>served by {owned_by}</source>
        <translation>由 {owned_by} 提供</translation>
    </message>
    <message>
        <source>{name} answered with {count}.</source>
        <translation>{name} 回复了 {count}。</translation>
    </message>
    <message>
        <source>cannot connect</source>
        <translation>无法连接</translation>
    </message>
</context>
<context>
    <name>ResultsPanel</name>
    <message>
        <source>Past runs of this task</source>
        <translation>此任务过去的运行</translation>
    </message>
    <message>
        <source>Save as preset…</source>
        <translation>保存为预设…</translation>
    </message>
    <message>
        <source>Keep the best prompt as a preset for chats</source>
        <translation>将最佳提示词保存为对话预设</translation>
    </message>
    <message>
        <source>Use in a new chat</source>
        <translation>在新对话中使用</translation>
    </message>
    <message>
        <source>Open a chat that uses the best prompt as it was scored</source>
        <translation>打开一个使用最佳提示词（与评分时相同）的对话</translation>
    </message>
    <message>
        <source>Runs:</source>
        <translation>运行：</translation>
    </message>
    <message>
        <source>Tune the task to see which prompt works best on it.</source>
        <translation>调优此任务，看看哪个提示词效果最好。</translation>
    </message>
    <message>
        <source>Candidates with validation scores</source>
        <translation>候选及其验证分数</translation>
    </message>
    <message>
        <source>The selected candidate&apos;s prompt</source>
        <translation>所选候选的提示词</translation>
    </message>
    <message>
        <source>Which held-out examples to show</source>
        <translation>要显示哪些留出样例</translation>
    </message>
    <message>
        <source>Held-out examples, baseline and best prompt</source>
        <translation>留出样例、基线和最佳提示词</translation>
    </message>
    <message>
        <source>Held-out examples:</source>
        <translation>留出样例：</translation>
    </message>
    <message>
        <source>Searching {candidates} candidates on {validation} validation examples ({demo_pool} more may be shown as demos); {test} held-out examples wait for the end.{warnings}</source>
        <translation>正在 {validation} 个验证样例上搜索 {candidates} 个候选（另有 {demo_pool} 个可能作为示例展示）；{test} 个留出样例等到最后使用。{warnings}</translation>
    </message>
    <message>
        <source>

Label words: {join}; calibration: {replace}</source>
        <translation>

标签词：{join}；校准：{replace}</translation>
    </message>
    <message>
        <source>Candidate #{id}:
{describe}{words}</source>
        <translation>候选 #{id}：
{describe}{words}</translation>
    </message>
</context>
<context>
    <name>ScoreChart</name>
    <message>
        <source>Best validation score</source>
        <translation>最佳验证分数</translation>
    </message>
    <message>
        <source>Best validation score over the search</source>
        <translation>搜索过程中的最佳验证分数</translation>
    </message>
    <message>
        <source>{count} improvements; best {label} after {points:.0f} s</source>
        <translation>{count} 次改进；{points:.0f} 秒后达到最佳 {label}</translation>
    </message>
    <message>
        <source>baseline {label}</source>
        <translation>基线 {label}</translation>
    </message>
    <message>
        <source>No search yet</source>
        <translation>尚未搜索</translation>
    </message>
</context>
<context>
    <name>SearchPanel</name>
    <message>
        <source>Passages found</source>
        <translation>找到的段落</translation>
    </message>
    <message>
        <source>{counted} of “{name}” match “{query}”, best first:</source>
        <translation>“{name}”中有 {counted} 与“{query}”匹配，最佳的在前：</translation>
    </message>
    <message>
        <source>Nothing in “{name}” matches “{query}” closely; the nearest passages:</source>
        <translation>“{name}”中没有与“{query}”紧密匹配的内容；最接近的段落：</translation>
    </message>
    <message>
        <source>No passage in “{name}” matches “{query}”.</source>
        <translation>“{name}”中没有与“{query}”匹配的段落。</translation>
    </message>
</context>
<context>
    <name>SettingsPanel</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>This chat</source>
        <translation>当前对话</translation>
    </message>
    <message>
        <source>Defaults</source>
        <translation>默认设置</translation>
    </message>
    <message>
        <source>No chat note</source>
        <translation>无对话提示</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>A starting point for the sampling settings. “(changed)” and a dot beside a field mark values that differ from it; choose the preset again to go back to it.</source>
        <translation>采样设置的起点。“（已更改）”和字段旁的圆点标出与它不同的值；再次选择该预设即可恢复。</translation>
    </message>
    <message>
        <source>Save as preset…</source>
        <translation>保存为预设…</translation>
    </message>
    <message>
        <source>Chat settings problem</source>
        <translation>对话设置问题</translation>
    </message>
    <message>
        <source>Apply to this chat</source>
        <translation>应用到当前对话</translation>
    </message>
    <message>
        <source>Reset to defaults</source>
        <translation>恢复默认设置</translation>
    </message>
    <message>
        <source>New chats start with these settings.</source>
        <translation>新对话以这些设置开始。</translation>
    </message>
    <message>
        <source>Interface</source>
        <translation>界面</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Takes effect when Hearth starts again.</source>
        <translation>重新启动 Hearth 后生效。</translation>
    </message>
    <message>
        <source>Runtime (all chats)</source>
        <translation>运行时（所有对话）</translation>
    </message>
    <message>
        <source>Longest context that fits</source>
        <translation>可容纳的最长上下文</translation>
    </message>
    <message>
        <source>Defaults problem</source>
        <translation>默认设置问题</translation>
    </message>
    <message>
        <source>Apply defaults</source>
        <translation>应用默认设置</translation>
    </message>
    <message>
        <source>Save as preset</source>
        <translation>保存为预设</translation>
    </message>
    <message>
        <source>Preset name:</source>
        <translation>预设名称：</translation>
    </message>
    <message>
        <source>“{name}” is a built-in preset; choose another name</source>
        <translation>“{name}”是内置预设；请换一个名称</translation>
    </message>
    <message>
        <source>Longest that fits: {n_ctx:,}</source>
        <translation>可容纳的最长上下文：{n_ctx:,}</translation>
    </message>
    <message>
        <source>&lt;p&gt;The longest context the loaded model has room for in this computer&apos;s free memory now, with the context cache at {bits} bits, up to the context it was trained for. Sets Context length to it and applies the defaults (the model loads again).&lt;/p&gt;</source>
        <translation>&lt;p&gt;以 {bits} 位的上下文缓存，这台电脑现在的空闲内存能为已加载模型容纳的最长上下文，最多为其训练上下文。将“上下文长度”设为此值并应用默认设置（模型会重新加载）。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>No context fits the free memory now</source>
        <translation>现在的空闲内存容纳不下任何上下文</translation>
    </message>
    <message>
        <source>&lt;p&gt;Close other programs, choose fewer cache bits, or a smaller model.&lt;/p&gt;</source>
        <translation>&lt;p&gt;请关闭其他程序，选择更少的缓存位数，或换一个更小的模型。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <source>New chat (Ctrl+N)</source>
        <translation>新建对话（Ctrl+N）</translation>
    </message>
    <message>
        <source>Search all chats (Ctrl+F)</source>
        <translation>搜索所有对话（Ctrl+F）</translation>
    </message>
    <message>
        <source>Search chats</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <source>Chats</source>
        <translation>对话列表</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Export as Markdown…</source>
        <translation>导出为 Markdown…</translation>
    </message>
    <message>
        <source>Export as JSON…</source>
        <translation>导出为 JSON…</translation>
    </message>
    <message>
        <source>No chat mentions “{query}”. Clear the search to see every chat.</source>
        <translation>没有对话提到“{query}”。清除搜索即可看到所有对话。</translation>
    </message>
    <message>
        <source>No chats yet. New chat starts one.</source>
        <translation>还没有对话。点击“新建对话”开始。</translation>
    </message>
    <message>
        <source>Delete chat</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <source>Delete “{title}”? You can undo this from the status bar.</source>
        <translation>删除“{title}”？可以在状态栏中撤销。</translation>
    </message>
</context>
<context>
    <name>Source</name>
    <message>
        <source>, page {page}</source>
        <translation>，第 {page} 页</translation>
    </message>
    <message>
        <source>{file}{page}, line {line}</source>
        <translation>{file}{page}，第 {line} 行</translation>
    </message>
</context>
<context>
    <name>TaskEditor</name>
    <message>
        <source>Task name</source>
        <translation>任务名称</translation>
    </message>
    <message>
        <source>Kind of task</source>
        <translation>任务类型</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>From the outputs; or type them: positive, negative</source>
        <translation>取自输出；或自行输入：positive, negative</translation>
    </message>
    <message>
        <source>Metric</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>Regular expression</source>
        <translation>正则表达式</translation>
    </message>
    <message>
        <source>The regular expression a right answer matches</source>
        <translation>正确答案所匹配的正则表达式</translation>
    </message>
    <message>
        <source>Your instruction</source>
        <translation>你的指令</translation>
    </message>
    <message>
        <source>Optional: your own instruction; the search also tries small edits of it</source>
        <translation>可选：你自己的指令；搜索也会尝试对它稍作修改</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>类型：</translation>
    </message>
    <message>
        <source>Labels:</source>
        <translation>标签：</translation>
    </message>
    <message>
        <source>Metric:</source>
        <translation>指标：</translation>
    </message>
    <message>
        <source>Instruction:</source>
        <translation>指令：</translation>
    </message>
    <message>
        <source>Examples: input and expected output</source>
        <translation>样例：输入和期望输出</translation>
    </message>
    <message>
        <source>Add example</source>
        <translation>添加样例</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove the selected examples (Delete)</source>
        <translation>移除所选样例（Delete）</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Save the examples as .jsonl or .csv</source>
        <translation>将样例保存为 .jsonl 或 .csv</translation>
    </message>
    <message>
        <source>New task</source>
        <translation>新建任务</translation>
    </message>
    <message>
        <source>Type at least two examples: an input and its expected output.</source>
        <translation>至少输入两个样例：一个输入及其期望输出。</translation>
    </message>
    <message>
        <source>{count} labels: {join}</source>
        <translation>{count} 个标签：{join}</translation>
    </message>
    <message>
        <source>Free text, scored by {METRIC_NAMES}</source>
        <translation>自由文本，按{METRIC_NAMES}评分</translation>
    </message>
    <message>
        <source>{count} examples: {pool} in the pool the search may use (as demos or to compare candidates), {test} held out for the final test, never shown to the search.</source>
        <translation>{count} 个样例：{pool} 个在搜索可用的池中（作为示例或用于比较候选），{test} 个留作最终测试，搜索过程中从不展示。</translation>
    </message>
</context>
<context>
    <name>WelcomeView</name>
    <message>
        <source>The model could not be loaded: {why}</source>
        <translation>无法加载模型：{why}</translation>
    </message>
    <message>
        <source>Welcome to Hearth</source>
        <translation>欢迎使用 Hearth</translation>
    </message>
    <message>
        <source>Ready now</source>
        <translation>现在可用</translation>
    </message>
    <message>
        <source>{BUNDLED_NAME}, the model that comes with Hearth, is loading…</source>
        <translation>{BUNDLED_NAME}（Hearth 自带的模型）正在加载…</translation>
    </message>
    <message>
        <source>Start chatting</source>
        <translation>开始对话</translation>
    </message>
    <message>
        <source>A bigger model for this computer</source>
        <translation>适合这台电脑的更大模型</translation>
    </message>
    <message>
        <source>Recommended model</source>
        <translation>推荐模型</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download status</source>
        <translation>下载状态</translation>
    </message>
    <message>
        <source>&lt;a href=&quot;models&quot;&gt;Every catalog model, with its predicted speed here, is in the Models tab.&lt;/a&gt;</source>
        <translation>&lt;a href=&quot;models&quot;&gt;目录中的每个模型及其在这里的预计速度，都在“模型”标签页中。&lt;/a&gt;</translation>
    </message>
    <message>
        <source>Don&apos;t show again</source>
        <translation>不再显示</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>欢迎</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>✔ {BUNDLED_NAME} is ready — start chatting. It comes with Hearth: small and quick, good for short questions.</source>
        <translation>✔ {BUNDLED_NAME} 已就绪 — 开始对话吧。它随 Hearth 提供：小巧快速，适合简短的问题。</translation>
    </message>
    <message>
        <source>✔ {name} is ready — start chatting.</source>
        <translation>✔ {name} 已就绪 — 开始对话吧。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Measuring how fast this computer writes…&lt;/b&gt;</source>
        <translation>&lt;b&gt;正在测量这台电脑的生成速度…&lt;/b&gt;</translation>
    </message>
    <message>
        <source>A few seconds with {BUNDLED_NAME}, once: the catalog&apos;s speeds are predicted from it.</source>
        <translation>用 {BUNDLED_NAME} 测几秒钟，只需一次：目录中各模型的速度据此预测。</translation>
    </message>
    <message>
        <source>Predicted from this computer&apos;s measured speed ({stem} wrote {tokens_per_second:.0f} tokens a second).</source>
        <translation>根据这台电脑实测的速度预测（{stem} 每秒生成 {tokens_per_second:.0f} 个词元）。</translation>
    </message>
    <message>
        <source>&lt;b&gt;{BUNDLED_NAME} suits this computer best for now&lt;/b&gt;</source>
        <translation>&lt;b&gt;{BUNDLED_NAME} 目前最适合这台电脑&lt;/b&gt;</translation>
    </message>
    <message>
        <source> · needs {format_bytes} of memory</source>
        <translation> · 需要 {format_bytes} 内存</translation>
    </message>
    <message>
        <source>{quantization} · {format_bytes} download · {speed_text} here{memory}</source>
        <translation>{quantization} · 下载 {format_bytes} · 在这里 {speed_text}{memory}</translation>
    </message>
    <message>
        <source>The largest catalog model predicted to write at least {TARGET_TOKENS_PER_SECOND:.0f} tokens a second here that fits in this computer&apos;s memory. {measured}</source>
        <translation>目录中预计在这里每秒至少生成 {TARGET_TOKENS_PER_SECOND:.0f} 个词元、且装得进这台电脑内存的最大模型。{measured}</translation>
    </message>
    <message>
        <source>Already on this computer.</source>
        <translation>已在这台电脑上。</translation>
    </message>
    <message>
        <source>Use it now</source>
        <translation>立即使用</translation>
    </message>
    <message>
        <source>Asking Hugging Face for {file_name}…</source>
        <translation>正在向 Hugging Face 查询 {file_name}…</translation>
    </message>
    <message>
        <source>{repo_id} no longer offers {quant}; the Models tab lists what it has.</source>
        <translation>{repo_id} 已不再提供 {quant}；“模型”标签页列出了它现有的文件。</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
</context>
<context>
    <name>_ChatSettingsEditor</name>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>When the chat outgrows the context</source>
        <translation>对话超出上下文时</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
</context>
<context>
    <name>about</name>
    <message>
        <source>{decode}, ggml {decode2}</source>
        <translation>{decode}，ggml {decode2}</translation>
    </message>
    <message>
        <source>build not known</source>
        <translation>构建版本未知</translation>
    </message>
    <message>
        <source>not known until a model loads</source>
        <translation>加载模型后才知道</translation>
    </message>
    <message>
        <source>About Hearth</source>
        <translation>关于 Hearth</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Hearth {hearth_version}&lt;/h3&gt;&lt;p&gt;Private, offline AI chat on your own computer.&lt;/p&gt;&lt;p&gt;llama.cpp {llama_cpp_build} (llama-cpp-python {llama_cpp_version}), backend: {backend_name}&lt;br&gt;Qt for Python {pyside_version}&lt;/p&gt;&lt;p&gt;Data: {data_dir}&lt;br&gt;Models: {models_dir}&lt;br&gt;Settings: {config_dir}&lt;br&gt;Log: {log_file}&lt;/p&gt;&lt;p&gt;Bundled model: SmolLM2-135M-Instruct by Hugging Face, Apache License 2.0.&lt;br&gt;Hearth and llama.cpp: MIT License. Qt for Python: LGPL 3.0.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Hearth {hearth_version}&lt;/h3&gt;&lt;p&gt;在你自己的电脑上进行私密、离线的 AI 对话。&lt;/p&gt;&lt;p&gt;llama.cpp {llama_cpp_build}（llama-cpp-python {llama_cpp_version}），后端：{backend_name}&lt;br&gt;Qt for Python {pyside_version}&lt;/p&gt;&lt;p&gt;数据：{data_dir}&lt;br&gt;模型：{models_dir}&lt;br&gt;设置：{config_dir}&lt;br&gt;日志：{log_file}&lt;/p&gt;&lt;p&gt;内置模型：Hugging Face 的 SmolLM2-135M-Instruct，Apache License 2.0。&lt;br&gt;Hearth 和 llama.cpp：MIT 许可证。Qt for Python：LGPL 3.0。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>api.panel</name>
    <message>
        <source>Other programs on this computer can use the loaded model through OpenAI&apos;s API (chat completions, completions, embeddings), with the token below.</source>
        <translation>这台电脑上的其他程序可以凭下面的令牌，通过 OpenAI 的 API（chat completions、completions、embeddings）使用已加载的模型。</translation>
    </message>
    <message>
        <source>Reachable from other computers on your network. Anyone there with the token can use the model, and the traffic is not encrypted.</source>
        <translation>你网络中的其他电脑可以访问。那里任何持有令牌的人都能使用该模型，而且传输未加密。</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>Hearth is already running with this data folder ({folder}), as process {pid}, and did not answer. Close it, then start again.</source>
        <translation>Hearth 已在使用此数据文件夹（{folder}）运行，进程号 {pid}，但没有响应。请关闭它，然后重新启动。</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Hearth is already running</source>
        <translation>Hearth 已在运行</translation>
    </message>
</context>
<context>
    <name>chat.attachment_bar</name>
    <message>
        <source>{tokens:,} tokens</source>
        <translation>{tokens:,} 个词元</translation>
    </message>
    <message>
        <source>not counted yet (no model loaded)</source>
        <translation>尚未计数（未加载模型）</translation>
    </message>
    <message>
        <source>{value} min</source>
        <translation>{value} 分钟</translation>
    </message>
</context>
<context>
    <name>chat.link_opener</name>
    <message>
        <source>Show the passage this cites</source>
        <translation>显示此处引用的段落</translation>
    </message>
    <message>
        <source>Write this reply again from the whole document (its summaries)</source>
        <translation>根据整篇文档（其摘要）重新生成此回复</translation>
    </message>
    <message>
        <source>Write this reply again from the passages search finds for the question</source>
        <translation>根据搜索为问题找到的段落重新生成此回复</translation>
    </message>
    <message>
        <source>a {scheme}: link</source>
        <translation>{scheme}: 链接</translation>
    </message>
    <message>
        <source>a link with no address</source>
        <translation>没有地址的链接</translation>
    </message>
    <message>
        <source>Hearth does not open {what} from a reply:
{shown}</source>
        <translation>Hearth 不会打开回复中的{what}：
{shown}</translation>
    </message>
    <message>
        <source>Write an email to {path}?</source>
        <translation>给 {path} 写邮件？</translation>
    </message>
    <message>
        <source>Open this page in your browser?

Site: {host}
{shown}</source>
        <translation>在浏览器中打开此页面？

网站：{host}
{shown}</translation>
    </message>
    <message>
        <source>Link not opened</source>
        <translation>链接未打开</translation>
    </message>
    <message>
        <source>Open link</source>
        <translation>打开链接</translation>
    </message>
</context>
<context>
    <name>chat.list_model</name>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
</context>
<context>
    <name>chat.message_model</name>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Version {version} of {versions}</source>
        <translation>第 {version} 版，共 {versions} 版</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>正在思考…</translation>
    </message>
    <message>
        <source>Thought</source>
        <translation>已思考</translation>
    </message>
    <message>
        <source>Thought for less than a second</source>
        <translation>思考了不到一秒</translation>
    </message>
    <message>
        <source>Thought for {about}{seconds} s</source>
        <translation>思考了 {about}{seconds} 秒</translation>
    </message>
    <message>
        <source>Thought for {about}{value} min</source>
        <translation>思考了 {about}{value} 分钟</translation>
    </message>
    <message>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>not word for word in the sources</source>
        <translation>与来源并非逐字相同</translation>
    </message>
    <message>
        <source>Answered from passages of {files}</source>
        <translation>根据 {files} 的段落回答</translation>
    </message>
    <message>
        <source>Answered from the whole document (its summaries)</source>
        <translation>根据整篇文档（其摘要）回答</translation>
    </message>
    <message>
        <source>Answer from the whole document instead</source>
        <translation>改为根据整篇文档回答</translation>
    </message>
    <message>
        <source>Answer from passages instead</source>
        <translation>改为根据段落回答</translation>
    </message>
    <message>
        <source>the document</source>
        <translation>该文档</translation>
    </message>
</context>
<context>
    <name>chat.panel</name>
    <message>
        <source>Think before answering: the model reasons step by step first (slower, often better). Its thinking is shown folded above the answer and is not sent back to it. This chat keeps the choice.</source>
        <translation>先思考再回答：模型先逐步推理（较慢，通常更好）。它的思考折叠显示在回答上方，不会再发回给模型。此对话会记住这一选择。</translation>
    </message>
</context>
<context>
    <name>chat.passage_panel</name>
    <message>
        <source>Cited passage</source>
        <translation>引用的段落</translation>
    </message>
    <message>
        <source>Close the passage (Esc)</source>
        <translation>关闭段落（Esc）</translation>
    </message>
</context>
<context>
    <name>chat.view</name>
    <message>
        <source>Ask anything. The model runs on this computer; nothing leaves it.</source>
        <translation>尽管问。模型在这台电脑上运行，任何内容都不会离开它。</translation>
    </message>
    <message>
        <source>The model&apos;s view begins here: messages above are outside its context window.</source>
        <translation>模型的视野从这里开始：上面的消息已在其上下文窗口之外。</translation>
    </message>
    <message>
        <source>Show the model&apos;s thinking (click, or Space)</source>
        <translation>显示模型的思考（点击或按空格）</translation>
    </message>
    <message>
        <source>Hide the model&apos;s thinking (click, or Space)</source>
        <translation>隐藏模型的思考（点击或按空格）</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <source>Copy this code</source>
        <translation>复制这段代码</translation>
    </message>
    <message>
        <source>This quotation is not found word for word in the passages the reply cites</source>
        <translation>在回复引用的段落中找不到与这段引文逐字相同的内容</translation>
    </message>
    <message>
        <source>Previous version</source>
        <translation>上一版本</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>下一版本</translation>
    </message>
</context>
<context>
    <name>collections.files_model</name>
    <message>
        <source>Unreadable</source>
        <translation>无法读取</translation>
    </message>
    <message>
        <source>{name}, unreadable: {error}</source>
        <translation>{name}，无法读取：{error}</translation>
    </message>
</context>
<context>
    <name>collections.list_model</name>
    <message>
        <source>1 file</source>
        <translation>1 个文件</translation>
    </message>
    <message>
        <source>%n files</source>
        <translation>%n 个文件</translation>
    </message>
    <message>
        <source>1 passage</source>
        <translation>1 个段落</translation>
    </message>
    <message>
        <source>%n passages</source>
        <translation>%n 个段落</translation>
    </message>
    <message>
        <source>, {failed} unreadable</source>
        <translation>，{failed} 个无法读取</translation>
    </message>
</context>
<context>
    <name>collections.search_panel</name>
    <message>
        <source>Find in this collection</source>
        <translation>在此资料库中查找</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <source>, page {page}</source>
        <translation>，第 {page} 页</translation>
    </message>
    <message>
        <source>{name}{page}, line {line}</source>
        <translation>{name}{page}，第 {line} 行</translation>
    </message>
</context>
<context>
    <name>collections.tab</name>
    <message>
        <source>Make a collection with New…, then add files or a folder to it: Hearth indexes them here, on this computer, for search and for questions in a chat.</source>
        <translation>用“新建…”创建资料库，再向其中添加文件或文件夹：Hearth 在这台电脑上为它们建立索引，用于搜索和对话中的提问。</translation>
    </message>
    <message>
        <source>Add files or a folder with the buttons above: Hearth indexes them here, on this computer. The files stay where they are; Re-index brings in what changed.</source>
        <translation>用上面的按钮添加文件或文件夹：Hearth 在这台电脑上为它们建立索引。文件留在原处；“重新索引”会纳入有变化的内容。</translation>
    </message>
</context>
<context>
    <name>collections.worker</name>
    <message>
        <source>{number} added</source>
        <translation>新增 {number} 个</translation>
    </message>
    <message>
        <source>{number} changed</source>
        <translation>更改 {number} 个</translation>
    </message>
    <message>
        <source>{number} removed</source>
        <translation>移除 {number} 个</translation>
    </message>
    <message>
        <source>{number} unchanged</source>
        <translation>{number} 个未变</translation>
    </message>
    <message>
        <source>{number} unreadable</source>
        <translation>{number} 个无法读取</translation>
    </message>
    <message>
        <source>Stopped indexing “{name}”{kept}: the files done stay indexed; Re-index finishes the rest.</source>
        <translation>已停止为“{name}”建立索引{kept}：已完成的文件保留索引；“重新索引”会完成其余部分。</translation>
    </message>
    <message>
        <source>“{name}” has no documents to index yet.</source>
        <translation>“{name}”还没有可索引的文档。</translation>
    </message>
    <message>
        <source>Indexed “{name}”: {join} ({pages:.1f} pages in {seconds:.1f} s).</source>
        <translation>已为“{name}”建立索引：{join}（{pages:.1f} 页，用时 {seconds:.1f} 秒）。</translation>
    </message>
</context>
<context>
    <name>engine_worker</name>
    <message>
        <source>Unexpected error: {error}</source>
        <translation>意外错误：{error}</translation>
    </message>
</context>
<context>
    <name>headers</name>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Passages</source>
        <translation>段落</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页数</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Trained context</source>
        <translation>训练上下文</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>Fits</source>
        <translation>容纳</translation>
    </message>
    <message>
        <source>Longest context</source>
        <translation>最长上下文</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>About</source>
        <translation>简介</translation>
    </message>
    <message>
        <source>License</source>
        <translation>许可证</translation>
    </message>
    <message>
        <source>Speed here</source>
        <translation>本机速度</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Download size</source>
        <translation>下载大小</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Expected output</source>
        <translation>期望输出</translation>
    </message>
    <message>
        <source>Set</source>
        <translation>集合</translation>
    </message>
    <message>
        <source>Validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>Calibration</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>Demos</source>
        <translation>示例</translation>
    </message>
    <message>
        <source>Label words</source>
        <translation>标签词</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>指令</translation>
    </message>
    <message>
        <source>Made by</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>期望</translation>
    </message>
    <message>
        <source>Baseline</source>
        <translation>基线</translation>
    </message>
    <message>
        <source>Winner</source>
        <translation>最佳</translation>
    </message>
    <message>
        <source>Confidence</source>
        <translation>置信度</translation>
    </message>
</context>
<context>
    <name>language</name>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
</context>
<context>
    <name>main_window</name>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
</context>
<context>
    <name>models.downloads_model</name>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <source>{duration} left</source>
        <translation>剩余 {duration}</translation>
    </message>
    <message>
        <source>file {file_index} of {file_count}</source>
        <translation>第 {file_index} 个文件，共 {file_count} 个</translation>
    </message>
    <message>
        <source>resumed at {format_bytes}</source>
        <translation>从 {format_bytes} 处继续</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Checking the file against the Hub&apos;s checksum…</source>
        <translation>正在对照 Hub 的校验和检查文件…</translation>
    </message>
    <message>
        <source>Paused at {done} of {total}; resume continues from there</source>
        <translation>已暂停于 {done} / {total}；继续时从此处接着下载</translation>
    </message>
    <message>
        <source>Done: {total}, checksum verified</source>
        <translation>完成：{total}，校验和已验证</translation>
    </message>
    <message>
        <source>Cancelled; the partial file was deleted</source>
        <translation>已取消；部分下载的文件已删除</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>{value} min</source>
        <translation>{value} 分钟</translation>
    </message>
</context>
<context>
    <name>models.picker</name>
    <message>
        <source>· remote</source>
        <translation>· 远程</translation>
    </message>
</context>
<context>
    <name>models.tab</name>
    <message>
        <source>Most downloaded</source>
        <translation>下载最多</translation>
    </message>
    <message>
        <source>Recently updated</source>
        <translation>最近更新</translation>
    </message>
    <message>
        <source>No models yet. Pick one under Get models and press Download, or Import… a .gguf file from this computer.</source>
        <translation>还没有模型。在“获取模型”下选择一个并点击“下载”，或从这台电脑“导入…”一个 .gguf 文件。</translation>
    </message>
    <message>
        <source>No downloads. Pick a model under Get models, then one of its files, and Download.</source>
        <translation>没有下载。在“获取模型”下选择一个模型，再选择它的一个文件，然后点击“下载”。</translation>
    </message>
    <message>
        <source>Nothing found. Try other words, or Recommended for the catalog.</source>
        <translation>什么也没找到。换个词试试，或点击“推荐”查看目录。</translation>
    </message>
</context>
<context>
    <name>models.tables</name>
    <message>
        <source>✔ fits</source>
        <translation>✔ 可容纳</translation>
    </message>
    <message>
        <source>⚠ tight</source>
        <translation>⚠ 偏紧</translation>
    </message>
    <message>
        <source>✘ too big</source>
        <translation>✘ 太大</translation>
    </message>
    <message>
        <source>? unknown</source>
        <translation>? 未知</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Unknown: the model&apos;s context cache or this computer&apos;s memory is not known.</source>
        <translation>未知：不清楚模型的上下文缓存或这台电脑的内存。</translation>
    </message>
    <message>
        <source>The longest context that fits this computer&apos;s free memory now, with the context cache at {bits} bits: up to the model&apos;s trained context ({trained:,} tokens), in steps of 1,024. Settings › Defaults offers it for the loaded model.</source>
        <translation>以 {bits} 位的上下文缓存，这台电脑现在的空闲内存能容纳的最长上下文：最多为模型的训练上下文（{trained:,} 个词元），以 1,024 为步长。“设置 › 默认设置”会为已加载的模型提供此值。</translation>
    </message>
    <message>
        <source>Hearth measures this computer&apos;s speed with the loaded model first.</source>
        <translation>Hearth 会先用已加载的模型测量这台电脑的速度。</translation>
    </message>
    <message>
        <source>Tokens a second predicted from the file&apos;s size ({bytes_text}) and this computer&apos;s measured speed: {stem} wrote {tokens_per_second:.0f} a second here. An estimate, not a promise: a busy computer writes slower.</source>
        <translation>根据文件大小（{bytes_text}）和这台电脑实测的速度预测的每秒词元数：{stem} 在这里每秒生成 {tokens_per_second:.0f} 个。这是估计而非承诺：电脑繁忙时会更慢。</translation>
    </message>
    <message>
        <source>the model&apos;s own</source>
        <translation>模型自带的</translation>
    </message>
    <message>
        <source>none: continues the text</source>
        <translation>无：续写文本</translation>
    </message>
    <message>
        <source>your Jinja</source>
        <translation>你的 Jinja</translation>
    </message>
    <message>
        <source>{what} (your choice)</source>
        <translation>{what}（你的选择）</translation>
    </message>
    <message>
        <source>{what} (built-in)</source>
        <translation>{what}（内置）</translation>
    </message>
    <message>
        <source>{downloads:,} downloads · {likes:,} likes · updated {updated}</source>
        <translation>{downloads:,} 次下载 · {likes:,} 个赞 · 更新于 {updated}</translation>
    </message>
    <message>
        <source> · gated: needs a Hugging Face token</source>
        <translation> · 受限：需要 Hugging Face 令牌</translation>
    </message>
</context>
<context>
    <name>prompt_lab.draft</name>
    <message>
        <source>expected output</source>
        <translation>期望输出</translation>
    </message>
    <message>
        <source>Example {number}: the {missing} is empty.</source>
        <translation>样例 {number}：{missing}为空。</translation>
    </message>
    <message>
        <source>Add at least two examples (an input and its expected output) to save this task.</source>
        <translation>至少添加两个样例（输入及其期望输出）才能保存此任务。</translation>
    </message>
</context>
<context>
    <name>prompt_lab.results</name>
    <message>
        <source>exact match</source>
        <translation>完全匹配</translation>
    </message>
    <message>
        <source>regular expression</source>
        <translation>正则表达式</translation>
    </message>
    <message>
        <source>valid JSON</source>
        <translation>有效的 JSON</translation>
    </message>
    <message>
        <source>JSON fields</source>
        <translation>JSON 字段</translation>
    </message>
    <message>
        <source>right where the baseline is wrong</source>
        <translation>在基线答错的地方答对</translation>
    </message>
    <message>
        <source>better than the baseline</source>
        <translation>优于基线</translation>
    </message>
    <message>
        <source>the reverse</source>
        <translation>反之</translation>
    </message>
    <message>
        <source>&lt;b&gt;Held-out test&lt;/b&gt;, {n} examples the search never saw ({name}, 95% intervals): baseline &lt;b&gt;{score_text}&lt;/b&gt; {percent_interval} → best prompt &lt;b&gt;{score_text2}&lt;/b&gt; {percent_interval2}</source>
        <translation>&lt;b&gt;留出测试&lt;/b&gt;：搜索从未见过的 {n} 个样例（{name}，95% 区间）：基线 &lt;b&gt;{score_text}&lt;/b&gt; {percent_interval} → 最佳提示词 &lt;b&gt;{score_text2}&lt;/b&gt; {percent_interval2}</translation>
    </message>
    <message>
        <source>Difference {format}{unit} [{format2}, {format3}], {test} p = {p_value:.3g}; best prompt {better} on {winner_only}, {worse} on {baseline_only}.</source>
        <translation>差值 {format}{unit} [{format2}, {format3}]，{test} p = {p_value:.3g}；最佳提示词在 {winner_only} 个样例上{better}，在 {baseline_only} 个样例上{worse}。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Stopped&lt;/b&gt;: the best candidate so far is kept. The held-out comparison did not run, so there is no trustworthy score; tune to the end for one.</source>
        <translation>&lt;b&gt;已停止&lt;/b&gt;：已保留目前最好的候选。留出集对比没有运行，因此没有可信的分数；完整调优一次即可得到。</translation>
    </message>
    <message>
        <source>, validation {score_text} on {n}</source>
        <translation>，验证集 {score_text}（{n} 个）</translation>
    </message>
    <message>
        <source>, calibrated ({replace})</source>
        <translation>，已校准（{replace}）</translation>
    </message>
    <message>
        <source>Best prompt: #{id} ({origin}{validation}{calibration}), {format} format, {count} demos. Baseline: the zero-shot chat prompt (#{baseline}) without calibration</source>
        <translation>最佳提示词：#{id}（{origin}{validation}{calibration}），{format} 格式，{count} 个示例。基线：未校准的零样本对话提示词（#{baseline}）</translation>
    </message>
    <message>
        <source>, validation {score_text}.</source>
        <translation>，验证集 {score_text}。</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color: palette(mid)&apos;&gt;Measured on {name} (fingerprint {fingerprint}), budget {budget}, seed {seed}, {started}, {seconds:.0f} s, {decoded_tokens:,} tokens.&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color: palette(mid)&apos;&gt;测量于 {name}（指纹 {fingerprint}），预算 {budget}，种子 {seed}，{started}，{seconds:.0f} 秒，{decoded_tokens:,} 个词元。&lt;/span&gt;</translation>
    </message>
    <message>
        <source>Best validation score</source>
        <translation>最佳验证分数</translation>
    </message>
    <message>
        <source>Best validation answer score</source>
        <translation>最佳验证答案分数</translation>
    </message>
    <message>
        <source>Best likelihood (per token)</source>
        <translation>最佳似然（每词元）</translation>
    </message>
    <message>
        <source>no held-out set</source>
        <translation>没有留出集</translation>
    </message>
    <message>
        <source>{score_text} → {score_text2} held-out</source>
        <translation>{score_text} → {score_text2}（留出集）</translation>
    </message>
    <message>
        <source> (another model)</source>
        <translation>（另一个模型）</translation>
    </message>
</context>
<context>
    <name>prompt_lab.tab</name>
    <message>
        <source>Task files (*.jsonl *.csv);;JSON Lines (*.jsonl);;CSV (*.csv);;All files (*)</source>
        <translation>任务文件 (*.jsonl *.csv);;JSON Lines (*.jsonl);;CSV (*.csv);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Screening</source>
        <translation>初筛</translation>
    </message>
    <message>
        <source>Validating the best</source>
        <translation>正在验证最佳候选</translation>
    </message>
    <message>
        <source>Refining</source>
        <translation>精调</translation>
    </message>
    <message>
        <source>Writing answers</source>
        <translation>正在生成答案</translation>
    </message>
    <message>
        <source>Held-out test</source>
        <translation>留出测试</translation>
    </message>
    <message>
        <source>about {max} s</source>
        <translation>约 {max} 秒</translation>
    </message>
    <message>
        <source>about {value:.0f} min</source>
        <translation>约 {value:.0f} 分钟</translation>
    </message>
</context>
<context>
    <name>prompt_lab.worker</name>
    <message>
        <source>The Prompt Lab is tuning; stop it or wait.</source>
        <translation>提示词实验室正在调优；请停止它或等待。</translation>
    </message>
    <message>
        <source>Unexpected error: {error}</source>
        <translation>意外错误：{error}</translation>
    </message>
</context>
<context>
    <name>remote.client</name>
    <message>
        <source>Use &amp;remote engines (network)</source>
        <translation>使用远程引擎（网络）(&amp;R)</translation>
    </message>
    <message>
        <source>Network switch off: remote engines are turned off.</source>
        <translation>网络开关已关闭：远程引擎已关闭。</translation>
    </message>
</context>
<context>
    <name>remote.panel</name>
    <message>
        <source>Engine / model</source>
        <translation>引擎 / 模型</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>settings</name>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>How adventurous the wording is: low is focused, high is varied.</source>
        <translation>措辞有多大胆：低则专注，高则多变。</translation>
    </message>
    <message>
        <source>Lower it (0.2–0.5) for facts, code and summaries; raise it (0.8–1.2) for stories and brainstorming. At 0 the same question always gets the same answer.</source>
        <translation>事实、代码和摘要调低（0.2–0.5）；故事和头脑风暴调高（0.8–1.2）。为 0 时同一个问题总是得到同样的回答。</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Only the k likeliest next words are considered (0 = no limit).</source>
        <translation>只考虑最可能的 k 个下一个词（0 = 不限制）。</translation>
    </message>
    <message>
        <source>Smaller values give safer, plainer replies. 40 suits most models; set 0 to leave the choice to top-p and min-p.</source>
        <translation>值越小，回复越稳妥、越平实。40 适合大多数模型；设为 0 则交给 top-p 和 min-p 决定。</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Only the likeliest words whose chances add up to p are considered (1 = off).</source>
        <translation>只考虑概率累计达到 p 的最可能的词（1 = 关闭）。</translation>
    </message>
    <message>
        <source>Lower it (0.8–0.9) to cut odd word choices. Change this or the temperature, not both at once.</source>
        <translation>调低（0.8–0.9）可减少古怪的用词。只改它或温度，不要同时改两者。</translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <source>Drops words far less likely than the likeliest one (0 = off).</source>
        <translation>去掉比最可能的词可能性低得多的词（0 = 关闭）。</translation>
    </message>
    <message>
        <source>0.05–0.1 removes nonsense but keeps variety, even at a high temperature. Raise it if replies wander off.</source>
        <translation>0.05–0.1 能去掉胡言乱语又保留多样性，即使温度很高也是如此。回复跑题时调高它。</translation>
    </message>
    <message>
        <source>Typical-p</source>
        <translation>Typical-p</translation>
    </message>
    <message>
        <source>Prefers words about as surprising as the text so far (1 = off).</source>
        <translation>偏好与前文“意外程度”相当的词（1 = 关闭）。</translation>
    </message>
    <message>
        <source>Rarely needed. 0.9–0.95 can make long creative writing read more naturally; leave it at 1 otherwise.</source>
        <translation>很少需要。0.9–0.95 可以让长篇创作读起来更自然；否则保持为 1。</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Makes words used in the penalty window less likely (1 = off).</source>
        <translation>降低惩罚窗口内已用过的词的可能性（1 = 关闭）。</translation>
    </message>
    <message>
        <source>Raise it a little (1.1–1.2) if the model repeats itself. Too high and it avoids words it needs, such as names and code keywords.</source>
        <translation>如果模型自我重复，稍微调高（1.1–1.2）。太高则会回避必需的词，例如人名和代码关键字。</translation>
    </message>
    <message>
        <source>Presence penalty</source>
        <translation>存在惩罚</translation>
    </message>
    <message>
        <source>Makes any word already used less likely (0 = off).</source>
        <translation>降低任何已出现过的词的可能性（0 = 关闭）。</translation>
    </message>
    <message>
        <source>A small positive value (0.1–0.5) nudges the model towards new topics; a negative one keeps it on the same ones. Usually left at 0.</source>
        <translation>较小的正值（0.1–0.5）会把模型推向新话题；负值则让它停留在原有话题上。通常保持为 0。</translation>
    </message>
    <message>
        <source>Frequency penalty</source>
        <translation>频率惩罚</translation>
    </message>
    <message>
        <source>Makes a word less likely the more often it was used (0 = off).</source>
        <translation>一个词用得越多，就越不可能再出现（0 = 关闭）。</translation>
    </message>
    <message>
        <source>A small positive value (0.1–0.5) helps when the same word keeps coming back. Usually left at 0.</source>
        <translation>同一个词反复出现时，较小的正值（0.1–0.5）会有帮助。通常保持为 0。</translation>
    </message>
    <message>
        <source>Penalty window</source>
        <translation>惩罚窗口</translation>
    </message>
    <message>
        <source>How many recent tokens the three penalties look back over.</source>
        <translation>三种惩罚回看的最近词元数。</translation>
    </message>
    <message>
        <source>64 covers the last sentence or two; more looks further back for repeats. 0 turns the penalties off.</source>
        <translation>64 覆盖最近的一两句话；更大则回看更远以发现重复。0 会关闭这些惩罚。</translation>
    </message>
    <message>
        <source>DRY multiplier</source>
        <translation>DRY 倍数</translation>
    </message>
    <message>
        <source>How strongly DRY stops the model copying earlier text (0 = off).</source>
        <translation>DRY 阻止模型照抄前文的力度（0 = 关闭）。</translation>
    </message>
    <message>
        <source>Try 0.8 if replies loop or repeat whole sentences. Keep it at 0 for code and data, where exact repeats are wanted.</source>
        <translation>如果回复循环或重复整句，试试 0.8。代码和数据需要精确重复，保持为 0。</translation>
    </message>
    <message>
        <source>DRY base</source>
        <translation>DRY 基数</translation>
    </message>
    <message>
        <source>How fast the DRY penalty grows as a repeat gets longer.</source>
        <translation>重复越长，DRY 惩罚增长得多快。</translation>
    </message>
    <message>
        <source>1.75 is usual; higher punishes long repeats much harder. Matters only while the DRY multiplier is above 0.</source>
        <translation>通常为 1.75；越高，对长重复的惩罚越重。仅在 DRY 倍数大于 0 时起作用。</translation>
    </message>
    <message>
        <source>DRY allowed length</source>
        <translation>DRY 允许长度</translation>
    </message>
    <message>
        <source>Repeats up to this many tokens long are never penalised by DRY.</source>
        <translation>不超过这么多词元的重复永远不受 DRY 惩罚。</translation>
    </message>
    <message>
        <source>2 lets short common phrases repeat. Raise it if DRY mangles names or fixed phrases. Matters only while the DRY multiplier is above 0.</source>
        <translation>2 允许常见短语重复。如果 DRY 弄乱了人名或固定短语，就调高它。仅在 DRY 倍数大于 0 时起作用。</translation>
    </message>
    <message>
        <source>XTC probability</source>
        <translation>XTC 概率</translation>
    </message>
    <message>
        <source>How often XTC removes the most obvious next words (0 = off).</source>
        <translation>XTC 去掉最显而易见的下一个词的频率（0 = 关闭）。</translation>
    </message>
    <message>
        <source>About 0.5 makes creative writing less predictable. Keep it at 0 for facts, code and instructions.</source>
        <translation>约 0.5 能让创作不那么容易预料。事实、代码和指令请保持为 0。</translation>
    </message>
    <message>
        <source>XTC threshold</source>
        <translation>XTC 阈值</translation>
    </message>
    <message>
        <source>Words at least this likely count as obvious to XTC.</source>
        <translation>可能性至少为此值的词，XTC 视为显而易见。</translation>
    </message>
    <message>
        <source>0.1 is usual; higher removes fewer words. Matters only while the XTC probability is above 0.</source>
        <translation>通常为 0.1；越高，去掉的词越少。仅在 XTC 概率大于 0 时起作用。</translation>
    </message>
    <message>
        <source>Mirostat</source>
        <translation>Mirostat</translation>
    </message>
    <message>
        <source>Keeps the surprise of the text steady: 0 = off, 1 or 2 = version.</source>
        <translation>让文本的“意外程度”保持稳定：0 = 关闭，1 或 2 = 版本。</translation>
    </message>
    <message>
        <source>An alternative to top-k and top-p, which it replaces while on. Version 2 is the usual choice; most people leave it off.</source>
        <translation>top-k 和 top-p 的替代方案，开启时取代它们。通常选版本 2；大多数人不开启。</translation>
    </message>
    <message>
        <source>Mirostat tau</source>
        <translation>Mirostat tau</translation>
    </message>
    <message>
        <source>The surprise Mirostat aims for: lower is focused, higher varied.</source>
        <translation>Mirostat 追求的意外程度：越低越专注，越高越多变。</translation>
    </message>
    <message>
        <source>5 is usual; try 3 for focused answers, 7–8 for creative writing. Used only while Mirostat is on.</source>
        <translation>通常为 5；专注的回答试试 3，创作试试 7–8。仅在 Mirostat 开启时使用。</translation>
    </message>
    <message>
        <source>Mirostat eta</source>
        <translation>Mirostat eta</translation>
    </message>
    <message>
        <source>How quickly Mirostat steers back towards its target.</source>
        <translation>Mirostat 回到目标的速度。</translation>
    </message>
    <message>
        <source>0.1 is usual. Used only while Mirostat is on.</source>
        <translation>通常为 0.1。仅在 Mirostat 开启时使用。</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Where the dice start: the same seed and settings repeat a reply.</source>
        <translation>随机数的起点：相同的种子和设置会得到相同的回复。</translation>
    </message>
    <message>
        <source>Leave it random for everyday chat; fix a number to reproduce a reply or to compare settings fairly.</source>
        <translation>日常对话保持随机；固定一个数字可以复现回复，或公平地比较设置。</translation>
    </message>
    <message>
        <source>Max reply tokens</source>
        <translation>最大回复词元数</translation>
    </message>
    <message>
        <source>The longest a reply may be, in tokens (a token is about ¾ of a word).</source>
        <translation>回复的最大长度，以词元计（一个词元约为 ¾ 个英文单词，或一两个汉字）。</translation>
    </message>
    <message>
        <source>Replies usually end by themselves; this is only the cut-off. Raise it for long texts and code, lower it to keep replies short.</source>
        <translation>回复通常会自行结束；这只是上限。长文和代码调高，想要简短的回复则调低。</translation>
    </message>
    <message>
        <source>Loop guard</source>
        <translation>循环保护</translation>
    </message>
    <message>
        <source>Stops a reply that only repeats itself for this many tokens (0 = off).</source>
        <translation>回复连续这么多词元都只在重复自己时将其停止（0 = 关闭）。</translation>
    </message>
    <message>
        <source>Saves time when a small model gets stuck going round in circles. The default suits most models.</source>
        <translation>小模型陷入原地打转时可节省时间。默认值适合大多数模型。</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>Tokens the model sees at once: history plus reply. More uses more memory.</source>
        <translation>模型一次能看到的词元数：历史加回复。越大占用内存越多。</translation>
    </message>
    <message>
        <source>Raise it for long chats and documents; the Models tab shows the memory each size needs. Lower it if a model fails to load for lack of memory.</source>
        <translation>长对话和长文档请调高；“模型”标签页显示每种大小所需的内存。模型因内存不足而加载失败时请调低。</translation>
    </message>
    <message>
        <source>CPU threads</source>
        <translation>CPU 线程</translation>
    </message>
    <message>
        <source>CPU cores the model uses; automatic is the count measured fastest here.</source>
        <translation>模型使用的 CPU 核心数；自动即在这里测得最快的数量。</translation>
    </message>
    <message>
        <source>Leave it automatic unless the computer feels slow while a reply is written: fewer threads leave room for other programs.</source>
        <translation>除非生成回复时电脑感觉变慢，否则保持自动：线程少一些，能给其他程序留出空间。</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>How much of the model runs on the graphics card (-1 = all, 0 = none).</source>
        <translation>模型有多少在显卡上运行（-1 = 全部，0 = 不使用）。</translation>
    </message>
    <message>
        <source>More layers on the GPU is faster, and as many as fit is usually right. Lower it if a model fails to load for lack of video memory.</source>
        <translation>放到 GPU 上的层越多越快，通常尽可能多放即可。模型因显存不足而加载失败时请调低。</translation>
    </message>
    <message>
        <source>Context cache precision</source>
        <translation>上下文缓存精度</translation>
    </message>
    <message>
        <source>Bits per number in the context cache: 16 is exact, 8 takes about half the memory, 4 about a quarter.</source>
        <translation>上下文缓存中每个数的位数：16 位精确，8 位约占一半内存，4 位约占四分之一。</translation>
    </message>
    <message>
        <source>8 fits about twice the context in the same memory with the same quality, but on a CPU it reads long prompts about half as fast; 4 costs quality too. Changing it reloads the model.</source>
        <translation>8 位能在同样内存中放下约两倍的上下文且质量不变，但在 CPU 上读取长提示词约慢一半；4 位还会损失质量。更改它会重新加载模型。</translation>
    </message>
    <message>
        <source>Safe mode</source>
        <translation>安全模式</translation>
    </message>
    <message>
        <source>1 = load without CPU-specific speed-ups (weight repacking, AMX kernels).</source>
        <translation>1 = 加载时不使用针对 CPU 的加速（权重重排、AMX 内核）。</translation>
    </message>
    <message>
        <source>For a model that crashes on this CPU. Hearth turns it on by itself after repeated crashes; set 0 to get the speed back.</source>
        <translation>用于在这颗 CPU 上会崩溃的模型。反复崩溃后 Hearth 会自动开启它；设为 0 可恢复速度。</translation>
    </message>
    <message>
        <source>Drop the oldest messages</source>
        <translation>丢弃最早的消息</translation>
    </message>
    <message>
        <source>Keep the first exchange, drop the middle</source>
        <translation>保留第一轮对话，丢弃中间部分</translation>
    </message>
    <message>
        <source>Stop and ask</source>
        <translation>停止并询问</translation>
    </message>
    <message>
        <source>Precise</source>
        <translation>精确</translation>
    </message>
    <message>
        <source>Balanced</source>
        <translation>均衡</translation>
    </message>
    <message>
        <source>Creative</source>
        <translation>创意</translation>
    </message>
</context>
<context>
    <name>settings.form</name>
    <message>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>as many as fit</source>
        <translation>尽可能多</translation>
    </message>
    <message>
        <source>More</source>
        <translation>更多</translation>
    </message>
</context>
<context>
    <name>settings.panel</name>
    <message>
        <source>Fix the highlighted fields</source>
        <translation>请修正高亮的字段</translation>
    </message>
    <message>
        <source>Open or start a chat to change its settings.</source>
        <translation>打开或新建一个对话以更改它的设置。</translation>
    </message>
    <message>
        <source>changed</source>
        <translation>已更改</translation>
    </message>
</context>
<context>
    <name>welcome.view</name>
    <message>
        <source>Hearth is an AI chat that runs entirely on this computer. It works offline, and what you write stays here: nothing is sent anywhere.</source>
        <translation>Hearth 是一款完全在这台电脑上运行的 AI 对话应用。它离线工作，你写的内容都留在这里：不会发送到任何地方。</translation>
    </message>
</context>
</TS>
