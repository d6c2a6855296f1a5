/*
 * Unit tests for the encoding half of the provider dialects: one case per conversion rule and per
 * error. A case is a RenderedPrompt (JSON written with ' for ", to keep the table readable), a
 * service and model, and either substrings the compact body must (and must not) contain, or the
 * error code and substrings of its message.
 */
/* the case table leaves trailing fields (not_want) implicit */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "test_helpers.h"

#include "providers/neutral.h"
#include "providers/provider.h"
#include "providers/service.h"
#include "util/alloc.h"
#include "util/json.h"

typedef struct ecase {
    const char *name;
    const char *service;
    const char *model;
    int stream;
    const char *rendered;
    int rc;
    const char *want[8];
    const char *not_want[4];
} ecase;

#define SYS_USER                                                                                   \
    "'messages':[{'role':'system','content':[{'text':'Be terse.'}]},"                              \
    "{'role':'user','content':[{'text':'Hi'}]}]"
#define USER_ONLY "'messages':[{'role':'user','content':[{'text':'Hi'}]}]"
#define WEATHER                                                                                    \
    "'toolDefs':[{'name':'get_weather','description':'Weather','inputSchema':{'type':'object',"    \
    "'properties':{'city':{'type':'string'}}}}]"
#define TOOL_HISTORY                                                                               \
    "'messages':[{'role':'user','content':[{'text':'Weather in Oslo?'}]},"                         \
    "{'role':'model','content':[{'toolRequest':{'name':'get_weather','ref':'call_1',"              \
    "'input':{'city':'Oslo'}}}]},"                                                                 \
    "{'role':'tool','content':[{'toolResponse':{'name':'get_weather','ref':'call_1',"              \
    "'output':'rain'}}]},{'role':'user','content':[{'text':'Umbrella?'}]}]"
#define PNG "data:image/png;base64,iVBORw0KGgo="

/* clang-format off */
static const ecase cases[] = {
    /* ---------- OpenAI Chat Completions ---------- */
    {"openai_system_user", "openai", "gpt-4o-mini", 0, "{" SYS_USER "}", 0,
     {"{'model':'gpt-4o-mini','messages':[{'role':'system','content':'Be terse.'},"
      "{'role':'user','content':'Hi'}]}"}},
    {"openai_developer_role_for_o3", "openai", "o3-mini", 0, "{" SYS_USER "}", 0,
     {"'role':'developer'"}, {"'role':'system'"}},
    {"openai_developer_role_for_gpt5", "openai", "gpt-5-mini", 0, "{" SYS_USER "}", 0,
     {"'role':'developer'"}},
    {"openai_o1_is_reasoning_but_o10x_is_not", "openai", "o1", 0, "{" SYS_USER "}", 0,
     {"'role':'developer'"}},
    {"groq_never_developer", "groq", "gpt-5", 0, "{" SYS_USER "}", 0, {"'role':'system'"}},
    {"openai_reasoning_rejects_temperature", "openai", "o3", 0,
     "{" SYS_USER ",'config':{'temperature':0.5}}", RS_EUNSUPPORTED,
     {"config.temperature", "reasoning models"}},
    {"openai_reasoning_rejects_stop", "openai", "o4-mini", 0,
     "{" SYS_USER ",'config':{'stopSequences':['x']}}", RS_EUNSUPPORTED, {"stopSequences"}},
    {"openai_max_completion_tokens", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'config':{'maxOutputTokens':64}}", 0, {"'max_completion_tokens':64"},
     {"'max_tokens'"}},
    {"mistral_max_tokens_and_random_seed", "mistral", "mistral-small", 0,
     "{" USER_ONLY ",'config':{'maxOutputTokens':64,'seed':7}}", 0,
     {"'max_tokens':64", "'random_seed':7"}, {"max_completion_tokens", "'seed'"}},
    {"openai_sampling", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'config':{'temperature':0.2,'topP':0.9,'stopSequences':'END','seed':1,"
     "'presencePenalty':0.5,'frequencyPenalty':-0.5}}",
     0,
     {"'temperature':0.2", "'top_p':0.9", "'stop':['END']", "'seed':1", "'presence_penalty':0.5",
      "'frequency_penalty':-0.5"}},
    {"openai_temperature_limit", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'config':{'temperature':2.5}}", RS_EUNSUPPORTED,
     {"config.temperature = 2.5", "openai", "0 to 2"}},
    {"openai_penalty_limit", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'config':{'presencePenalty':3}}", RS_EUNSUPPORTED, {"-2 to 2"}},
    {"openai_stop_limit", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'config':{'stopSequences':['a','b','c','d','e']}}", RS_EUNSUPPORTED,
     {"5 entries", "at most 4"}},
    {"openai_no_top_k", "openai", "gpt-4o", 0, "{" USER_ONLY ",'config':{'topK':5}}",
     RS_EUNSUPPORTED, {"config.topK is not supported by openai"}},
    {"together_top_k", "together", "m", 0, "{" USER_ONLY ",'config':{'topK':5}}", 0,
     {"'top_k':5"}},
    {"deepseek_no_seed", "deepseek", "deepseek-chat", 0, "{" USER_ONLY ",'config':{'seed':5}}",
     RS_EUNSUPPORTED, {"config.seed", "deepseek"}},
    {"openai_tool_calls_and_results", "openai", "gpt-4o", 0, "{" TOOL_HISTORY "," WEATHER "}", 0,
     {"{'role':'assistant','tool_calls':[{'id':'call_1','type':'function','function':{'name':"
      "'get_weather','arguments':'{\\'city\\':\\'Oslo\\'}'}}]}",
      "{'role':'tool','tool_call_id':'call_1','content':'rain'}",
      "'tools':[{'type':'function','function':{'name':'get_weather','description':'Weather',"
      "'parameters':{'type':'object'"}},
    {"mistral_tool_ids_are_9_alnum_and_pair", "mistral", "m", 0, "{" TOOL_HISTORY "," WEATHER "}",
     0, {"'tool_call_id':'"}, {"call_1"}},
    {"openai_tool_choice_required", "openai", "gpt-4o", 0,
     "{" USER_ONLY "," WEATHER ",'config':{'toolChoice':'required'}}", 0,
     {"'tool_choice':'required'"}},
    {"mistral_tool_choice_any", "mistral", "m", 0,
     "{" USER_ONLY "," WEATHER ",'config':{'toolChoice':'required'}}", 0, {"'tool_choice':'any'"}},
    {"openai_tool_choice_named", "openai", "gpt-4o", 0,
     "{" USER_ONLY "," WEATHER ",'config':{'toolChoice':'get_weather'}}", 0,
     {"'tool_choice':{'type':'function','function':{'name':'get_weather'}}"}},
    {"tool_choice_unknown_tool", "openai", "gpt-4o", 0,
     "{" USER_ONLY "," WEATHER ",'config':{'toolChoice':'nope'}}", RS_EINVAL,
     {"toolChoice 'nope'"}},
    {"openai_json_schema_named_after_prompt", "openai", "gpt-4o", 0,
     "{'name':'triage'," USER_ONLY ",'output':{'format':'json','schema':{'type':'object'}}}", 0,
     {"'response_format':{'type':'json_schema','json_schema':{'name':'triage','schema':{'type':"
      "'object'}}}"}},
    {"openai_json_schema_bad_name_falls_back", "openai", "gpt-4o", 0,
     "{'name':'a b'," USER_ONLY ",'output':{'schema':{'type':'object'}}}", 0,
     {"'name':'output'"}},
    {"openai_json_mode_needs_the_word", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'output':{'format':'json'}}", RS_EUNSUPPORTED, {"JSON"}},
    {"openai_json_mode", "openai", "gpt-4o", 0,
     "{'messages':[{'role':'user','content':[{'text':'Answer in json'}]}],'output':{'format':"
     "'json'}}",
     0, {"'response_format':{'type':'json_object'}"}},
    {"deepseek_no_json_schema", "deepseek", "deepseek-chat", 0,
     "{" USER_ONLY ",'output':{'format':'json','schema':{'type':'object'}}}", RS_EUNSUPPORTED,
     {"JSON mode only"}},
    {"openai_schema_root_must_be_object", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'output':{'format':'json','schema':{'type':'array'}}}", RS_EUNSUPPORTED,
     {"object schema", "'array'"}},
    {"openai_stream_usage", "openai", "gpt-4o", 1, "{" USER_ONLY "}", 0,
     {"'stream':true,'stream_options':{'include_usage':true}"}},
    {"groq_stream_without_usage_option", "groq", "m", 1, "{" USER_ONLY "}", 0, {"'stream':true"},
     {"stream_options"}},
    {"openai_image_url_and_inline", "openai", "gpt-4o", 0,
     "{'messages':[{'role':'user','content':[{'text':'Look'},{'media':{'url':'https://x/a.png'}},"
     "{'media':{'url':'" PNG "'}}]}]}",
     0,
     {"'content':[{'type':'text','text':'Look'},{'type':'image_url','image_url':{'url':'https://"
      "x/a.png'}},{'type':'image_url','image_url':{'url':'" PNG "'}}]"}},
    {"llamacpp_cannot_fetch_urls", "llamacpp", "m", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'https://x/a.png'}}]}]}",
     RS_EUNSUPPORTED, {"llamacpp cannot fetch image URLs"}},
    {"llamacpp_inline_ok", "llamacpp", "m", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'" PNG "'}}]}]}", 0, {"image_url"}},
    {"deepseek_no_images", "deepseek", "m", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'" PNG "'}}]}]}", RS_EUNSUPPORTED,
     {"deepseek takes no images"}},
    {"openai_audio_is_not_an_image", "openai", "gpt-4o", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'https://x/a.mp3'}}]}]}",
     RS_EUNSUPPORTED, {"'audio/mpeg'"}},
    {"openai_no_media_in_system", "openai", "gpt-4o", 0,
     "{'messages':[{'role':'system','content':[{'media':{'url':'" PNG "'}}]},{'role':'user',"
     "'content':[{'text':'Hi'}]}]}",
     RS_EUNSUPPORTED, {"only text in system messages"}},
    {"openai_user_message_tool_results_first", "openai", "gpt-4o", 0,
     "{'messages':[{'role':'user','content':[{'text':'q'}]},{'role':'model','content':[{"
     "'toolRequest':{'name':'f','ref':'r1'}}]},{'role':'user','content':[{'toolResponse':{"
     "'name':'f','ref':'r1','output':{'ok':true}}},{'text':'next'}]}]}",
     0,
     {"'arguments':'{}'", "{'role':'tool','tool_call_id':'r1','content':'{\\'ok\\':true}'},{'role'"
                          ":'user','content':'next'}"}},
    {"passthrough_only_for_its_service", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'config':{'openai':{'user':'u1'},'anthropic':{'metadata':{'x':1}}}}", 0,
     {"'user':'u1'"}, {"metadata"}},
    {"passthrough_deep_merges_into_borrowed_schema", "openai", "gpt-4o", 0,
     "{" USER_ONLY ",'output':{'schema':{'type':'object'}},'config':{'openai':{"
     "'response_format':{'json_schema':{'strict':true,'schema':{'additionalProperties':false}}}}}}",
     0,
     {"'json_schema':{'name':'output','schema':{'type':'object','additionalProperties':false},"
      "'strict':true}"}},

    /* ---------- OpenAI Responses ---------- */
    {"responses_instructions_and_items", "openai-responses", "gpt-4.1", 0,
     "{" SYS_USER ",'config':{'maxOutputTokens':100}}", 0,
     {"{'model':'gpt-4.1','instructions':'Be terse.','input':[{'role':'user','content':'Hi'}],"
      "'max_output_tokens':100}"}},
    {"responses_function_items", "openai-responses", "gpt-4.1", 0,
     "{" TOOL_HISTORY "," WEATHER ",'config':{'toolChoice':'get_weather'}}", 0,
     {"{'type':'function_call','call_id':'call_1','name':'get_weather','arguments':'{\\'city\\':"
      "\\'Oslo\\'}'}",
      "{'type':'function_call_output','call_id':'call_1','output':'rain'}",
      "'tools':[{'type':'function','name':'get_weather'", "'strict':false",
      "'tool_choice':{'type':'function','name':'get_weather'}"}},
    {"responses_json_schema_flat", "openai-responses", "gpt-4.1", 0,
     "{" USER_ONLY ",'output':{'format':'json','schema':{'type':'object'}}}", 0,
     {"'text':{'format':{'type':'json_schema','name':'output','schema':{'type':'object'}}}"}},
    {"responses_image", "openai-responses", "gpt-4.1", 0,
     "{'messages':[{'role':'user','content':[{'text':'See'},{'media':{'url':'https://x/a.png'}}]}]}",
     0, {"{'type':'input_image','image_url':'https://x/a.png','detail':'auto'}"}},
    {"responses_no_stop", "openai-responses", "gpt-4.1", 0,
     "{" USER_ONLY ",'config':{'stopSequences':['x']}}", RS_EUNSUPPORTED, {"no stop sequences"}},
    {"responses_min_output_tokens", "openai-responses", "gpt-4.1", 0,
     "{" USER_ONLY ",'config':{'maxOutputTokens':8}}", RS_EUNSUPPORTED, {"16 or more"}},

    /* ---------- Anthropic ---------- */
    {"anthropic_system_and_default_max_tokens", "anthropic", "claude-sonnet-4-5", 0, "{" SYS_USER "}",
     0,
     {"{'model':'claude-sonnet-4-5','max_tokens':4096,'system':'Be terse.','messages':[{'role':"
      "'user','content':[{'type':'text','text':'Hi'}]}]}"}},
    {"anthropic_systems_concatenated", "anthropic", "c", 0,
     "{'messages':[{'role':'system','content':[{'text':'A'}]},{'role':'user','content':[{'text':"
     "'q'}]},{'role':'system','content':[{'text':'B'}]},{'role':'user','content':[{'text':'r'}]}]}",
     0, {"'system':'A\\n\\nB'", "[{'type':'text','text':'q'},{'type':'text','text':'r'}]"}},
    {"anthropic_merges_same_role", "anthropic", "c", 0,
     "{'messages':[{'role':'user','content':[{'text':'a'}]},{'role':'user','content':[{'text':"
     "'b'}]},{'role':'model','content':[{'text':'c'}]},{'role':'model','content':[{'text':'d'}]}]}",
     0,
     {"[{'role':'user','content':[{'type':'text','text':'a'},{'type':'text','text':'b'}]},{'role'"
      ":'assistant','content':[{'type':'text','text':'c'},{'type':'text','text':'d'}]}]"}},
    {"anthropic_tool_use_and_result", "anthropic", "c", 0, "{" TOOL_HISTORY "," WEATHER "}", 0,
     {"{'type':'tool_use','id':'call_1','name':'get_weather','input':{'city':'Oslo'}}",
      "{'role':'user','content':[{'type':'tool_result','tool_use_id':'call_1','content':'rain'},{"
      "'type':'text','text':'Umbrella?'}]}",
      "'tools':[{'name':'get_weather','description':'Weather','input_schema':{'type':'object'"}},
    {"anthropic_tool_result_leads_user_message", "anthropic", "c", 0,
     "{'messages':[{'role':'user','content':[{'text':'q'}]},{'role':'model','content':[{"
     "'toolRequest':{'name':'f','ref':'a.b'}}]},{'role':'user','content':[{'text':'x'},{"
     "'toolResponse':{'name':'f','ref':'a.b','output':'1'}}]}]}",
     0,
     {"'id':'a_b'", "[{'type':'tool_result','tool_use_id':'a_b','content':'1'},{'type':'text',"
                    "'text':'x'}]"}},
    {"anthropic_must_start_with_user", "anthropic", "c", 0,
     "{'messages':[{'role':'model','content':[{'text':'hello'}]}]}", RS_EUNSUPPORTED,
     {"start with a user message"}},
    {"anthropic_system_only", "anthropic", "c", 0,
     "{'messages':[{'role':'system','content':[{'text':'s'}]}]}", RS_EUNSUPPORTED,
     {"at least one user message"}},
    {"anthropic_temperature_limit", "anthropic", "c", 0,
     "{" USER_ONLY ",'config':{'temperature':1.2}}", RS_EUNSUPPORTED, {"0 to 1"}},
    {"anthropic_no_seed", "anthropic", "c", 0, "{" USER_ONLY ",'config':{'seed':1}}",
     RS_EUNSUPPORTED, {"config.seed is not supported by anthropic"}},
    {"anthropic_sampling", "anthropic", "c", 0,
     "{" USER_ONLY ",'config':{'maxOutputTokens':10,'temperature':0.5,'topP':0.8,'topK':3,"
     "'stopSequences':['x']}}",
     0,
     {"'max_tokens':10", "'temperature':0.5", "'top_p':0.8", "'top_k':3",
      "'stop_sequences':['x']"}},
    {"anthropic_structured_output", "anthropic", "c", 0,
     "{" USER_ONLY ",'output':{'format':'json','schema':{'type':'object'}}}", 0,
     {"'output_config':{'format':{'type':'json_schema','schema':{'type':'object'}}}"}},
    {"anthropic_json_needs_schema", "anthropic", "c", 0,
     "{" USER_ONLY ",'output':{'format':'json'}}", RS_EUNSUPPORTED, {"needs output.schema"}},
    {"anthropic_images_and_pdf", "anthropic", "c", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'" PNG "'}},{'media':{'url':'https:"
     "//x/a.jpg'}},{'media':{'url':'data:application/pdf;base64,JVBE'}}]}]}",
     0,
     {"{'type':'image','source':{'type':'base64','media_type':'image/png','data':'iVBORw0KGgo='}}",
      "{'type':'image','source':{'type':'url','url':'https://x/a.jpg'}}",
      "{'type':'document','source':{'type':'base64','media_type':'application/pdf','data':'JVBE'}}"}},
    {"anthropic_unsupported_media", "anthropic", "c", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'data:image/bmp;base64,Qk0='}}]}]}",
     RS_EUNSUPPORTED, {"'image/bmp'"}},
    {"anthropic_tool_choice", "anthropic", "c", 0,
     "{" USER_ONLY "," WEATHER ",'config':{'toolChoice':'required'}}", 0,
     {"'tool_choice':{'type':'any'}"}},
    {"anthropic_tool_input_must_be_object", "anthropic", "c", 0,
     "{'messages':[{'role':'user','content':[{'text':'q'}]},{'role':'model','content':[{"
     "'toolRequest':{'name':'f','input':[1]}}]}]}",
     RS_EUNSUPPORTED, {"non-object input"}},
    {"anthropic_stream", "anthropic", "c", 1, "{" USER_ONLY "}", 0, {"'stream':true"}},

    /* ---------- Gemini ---------- */
    {"gemini_system_instruction_and_roles", "gemini", "gemini-2.5-flash", 0,
     "{'messages':[{'role':'system','content':[{'text':'S'}]},{'role':'user','content':[{'text':"
     "'u'}]},{'role':'model','content':[{'text':'m'}]},{'role':'user','content':[{'text':'v'}]}]}",
     0,
     {"{'systemInstruction':{'parts':[{'text':'S'}]},'contents':[{'role':'user','parts':[{'text':"
      "'u'}]},{'role':'model','parts':[{'text':'m'}]},{'role':'user','parts':[{'text':'v'}]}]}"}},
    {"gemini_function_call_and_response", "gemini", "g", 0, "{" TOOL_HISTORY "," WEATHER "}", 0,
     {"{'role':'model','parts':[{'functionCall':{'name':'get_weather','args':{'city':'Oslo'}}}]}",
      "{'role':'user','parts':[{'functionResponse':{'name':'get_weather','response':{'result':"
      "'rain'}}},{'text':'Umbrella?'}]}",
      "'tools':[{'functionDeclarations':[{'name':'get_weather','description':'Weather',"
      "'parametersJsonSchema':{"}},
    {"gemini_generation_config", "gemini", "g", 0,
     "{" USER_ONLY ",'config':{'temperature':1.5,'topP':0.5,'topK':4,'maxOutputTokens':9,"
     "'stopSequences':['a'],'seed':3,'presencePenalty':0.1,'frequencyPenalty':0.2},'output':{"
     "'schema':{'type':'array'}}}",
     0,
     {"'generationConfig':{'temperature':1.5,'topP':0.5,'topK':4,'maxOutputTokens':9,"
      "'stopSequences':['a'],'seed':3,'presencePenalty':0.1,'frequencyPenalty':0.2,"
      "'responseMimeType':'application/json','responseJsonSchema':{'type':'array'}}"}},
    {"gemini_stop_limit", "gemini", "g", 0,
     "{" USER_ONLY ",'config':{'stopSequences':['a','b','c','d','e','f']}}", RS_EUNSUPPORTED,
     {"at most 5"}},
    {"gemini_temperature_limit", "gemini", "g", 0, "{" USER_ONLY ",'config':{'temperature':2.1}}",
     RS_EUNSUPPORTED, {"0 to 2"}},
    {"gemini_media", "gemini", "g", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'" PNG "'}},{'media':{'url':'gs://b/"
     "v.mp4'}}]}]}",
     0,
     {"{'inlineData':{'mimeType':'image/png','data':'iVBORw0KGgo='}}",
      "{'fileData':{'mimeType':'video/mp4','fileUri':'gs://b/v.mp4'}}"}},
    {"gemini_media_needs_type", "gemini", "g", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'https://x/img'}}]}]}",
     RS_EUNSUPPORTED, {"contentType"}},
    {"gemini_tool_config_named", "gemini", "g", 0,
     "{" USER_ONLY "," WEATHER ",'config':{'toolChoice':'get_weather'}}", 0,
     {"'toolConfig':{'functionCallingConfig':{'mode':'ANY','allowedFunctionNames':['get_weather']}"
      "}"}},
    {"gemini_must_start_with_user", "gemini", "g", 0,
     "{'messages':[{'role':'model','content':[{'text':'hello'}]}]}", RS_EUNSUPPORTED,
     {"start with a user turn"}},
    {"gemini_passthrough_merges_generation_config", "gemini", "g", 0,
     "{" USER_ONLY ",'config':{'temperature':0.1,'gemini':{'generationConfig':{'candidateCount':1}"
     "}}}",
     0, {"'generationConfig':{'temperature':0.1,'candidateCount':1}"}},

    /* ---------- Ollama ---------- */
    {"ollama_basic_not_streaming", "ollama", "llama3.2", 0, "{" SYS_USER "}", 0,
     {"{'model':'llama3.2','messages':[{'role':'system','content':'Be terse.'},{'role':'user',"
      "'content':'Hi'}],'stream':false}"}},
    {"ollama_stream", "ollama", "llama3.2", 1, "{" USER_ONLY "}", 0, {"'stream':true"}},
    {"ollama_images_base64", "ollama", "l", 0,
     "{'messages':[{'role':'user','content':[{'text':'a'},{'media':{'url':'" PNG
     "'}},{'text':'b'}]}]}",
     0, {"{'role':'user','content':'ab','images':['iVBORw0KGgo=']}"}},
    {"ollama_no_image_urls", "ollama", "l", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'https://x/a.png'}}]}]}",
     RS_EUNSUPPORTED, {"only as base64"}},
    {"ollama_tools", "ollama", "l", 0, "{" TOOL_HISTORY "," WEATHER "}", 0,
     {"{'role':'assistant','content':'','tool_calls':[{'function':{'name':'get_weather',"
      "'arguments':{'city':'Oslo'}}}]}",
      "{'role':'tool','content':'rain','tool_name':'get_weather'}"}},
    {"ollama_options_and_format", "ollama", "l", 0,
     "{" USER_ONLY ",'config':{'temperature':0.3,'topK':2,'maxOutputTokens':5,'seed':9,"
     "'stopSequences':['z']},'output':{'format':'json'}}",
     0,
     {"'format':'json','options':{'temperature':0.3,'top_k':2,'num_predict':5,'stop':['z'],"
      "'seed':9}"}},
    {"ollama_schema_format", "ollama", "l", 0,
     "{" USER_ONLY ",'output':{'schema':{'type':'object'}}}", 0, {"'format':{'type':'object'}"}},
    {"ollama_no_tool_choice", "ollama", "l", 0,
     "{" USER_ONLY "," WEATHER ",'config':{'toolChoice':'none'}}", RS_EUNSUPPORTED,
     {"toolChoice"}},

    /* ---------- mock ---------- */
    {"mock_echo", "mock", "echo", 1, "{" TOOL_HISTORY "," WEATHER ",'config':{'seed':2}}", 0,
     {"{'role':'assistant','parts':[{'toolCall':{'id':'call_1','name':'get_weather','input':{'city':"
      "'Oslo'}}}]}",
      "'config':{'seed':2}", "'stream':true"}},

    /* ---------- the neutral walk: errors every dialect shares ---------- */
    {"bad_role", "openai", "m", 0, "{'messages':[{'role':'robot','content':[{'text':'x'}]}]}",
     RS_EINVAL, {"message 1", "role 'robot'"}},
    {"content_not_array", "openai", "m", 0, "{'messages':[{'role':'user','content':'x'}]}",
     RS_EINVAL, {"content must be an array"}},
    {"no_messages", "openai", "m", 0, "{'config':{}}", RS_EINVAL, {"no messages array"}},
    {"only_empty_messages", "openai", "m", 0,
     "{'messages':[{'role':'user','content':[{'text':''}]}]}", RS_EINVAL, {"no message with"}},
    {"tool_request_in_user_message", "openai", "m", 0,
     "{'messages':[{'role':'user','content':[{'toolRequest':{'name':'f'}}]}]}", RS_EINVAL,
     {"belong in model messages"}},
    {"tool_message_with_text", "openai", "m", 0,
     "{'messages':[{'role':'tool','content':[{'text':'x'}]}]}", RS_EINVAL,
     {"only toolResponse parts"}},
    {"unmatched_tool_response", "openai", "m", 0,
     "{'messages':[{'role':'tool','content':[{'toolResponse':{'name':'f','output':1}}]}]}",
     RS_EINVAL, {"answers no earlier toolRequest"}},
    {"tool_refs_synthesized_and_paired", "openai", "m", 0,
     "{'messages':[{'role':'user','content':[{'text':'q'}]},{'role':'model','content':[{"
     "'toolRequest':{'name':'f'}},{'toolRequest':{'name':'g'}}]},{'role':'tool','content':[{"
     "'toolResponse':{'name':'g','output':'G'}},{'toolResponse':{'name':'f','output':'F'}}]}]}",
     0,
     {"'id':'call_1'", "'id':'call_2'", "{'role':'tool','tool_call_id':'call_2','content':'G'}",
      "{'role':'tool','tool_call_id':'call_1','content':'F'}"}},
    {"tool_named_without_definition", "openai", "m", 0, "{" USER_ONLY ",'tools':['search']}",
     RS_EUNSUPPORTED, {"tool 'search'", "toolDefs"}},
    {"tool_defined_twice", "openai", "m", 0,
     "{" USER_ONLY ",'toolDefs':[{'name':'a'},{'name':'a'}]}", RS_EINVAL, {"defined twice"}},
    {"tool_without_schema_gets_empty_object", "openai", "m", 0,
     "{" USER_ONLY ",'toolDefs':[{'name':'a'}]}", 0,
     {"'parameters':{'type':'object','properties':{}}"}},
    {"unknown_config_key_with_hint", "openai", "m", 0, "{" USER_ONLY ",'config':{'max_tokens':5}}",
     RS_EUNSUPPORTED, {"config.max_tokens is not a known setting", "maxOutputTokens"}},
    {"config_wrong_type", "openai", "m", 0, "{" USER_ONLY ",'config':{'temperature':'hot'}}",
     RS_EINVAL, {"config.temperature must be a number"}},
    {"config_top_p_range", "openai", "m", 0, "{" USER_ONLY ",'config':{'topP':1.5}}", RS_EINVAL,
     {"between 0 and 1"}},
    {"config_max_tokens_positive_integer", "openai", "m", 0,
     "{" USER_ONLY ",'config':{'maxOutputTokens':1.5}}", RS_EINVAL, {"integer >= 1"}},
    {"config_stop_strings_only", "openai", "m", 0,
     "{" USER_ONLY ",'config':{'stopSequences':[1]}}", RS_EINVAL, {"non-empty strings"}},
    {"config_null_means_unset", "openai", "m", 0, "{" USER_ONLY ",'config':{'temperature':null}}",
     0, {"'content':'Hi'"}, {"temperature"}},
    {"data_part_unsupported", "openai", "m", 0,
     "{'messages':[{'role':'user','content':[{'data':{'a':1}}]}]}", RS_EUNSUPPORTED,
     {"data part"}},
    {"pending_section_skipped", "openai", "m", 0,
     "{'messages':[{'role':'user','content':[{'text':'x'},{'metadata':{'purpose':'output',"
     "'pending':true}}]}]}",
     0, {"'content':'x'"}},
    {"non_base64_data_url", "openai", "m", 0,
     "{'messages':[{'role':'user','content':[{'media':{'url':'data:text/plain,hello'}}]}]}",
     RS_EUNSUPPORTED, {"base64 data: URLs"}},
    {"output_format_unsupported", "openai", "m", 0, "{" USER_ONLY ",'output':{'format':'enum'}}",
     RS_EUNSUPPORTED, {"output.format 'enum'"}},
    {"output_text_with_schema", "openai", "m", 0,
     "{" USER_ONLY ",'output':{'format':'text','schema':{'type':'object'}}}", RS_EINVAL,
     {"format is text"}},
    {"history_assistant_alias", "anthropic", "c", 0,
     "{'messages':[{'role':'user','content':[{'text':'a'}]},{'role':'assistant','content':[{"
     "'text':'b'}],'metadata':{'purpose':'history'}}]}",
     0, {"'role':'assistant'"}},
    {"unicode_passes_through", "gemini", "g", 0,
     "{'messages':[{'role':'user','content':[{'text':'caf\\u00e9 \\ud83c\\udf89 \\u65e5\\u672c'}]}]}",
     0, {"café 🎉 日本"}},
};

/* clang-format on */

#define NCASES (sizeof cases / sizeof cases[0])

/* ' -> " (the table's JSON is written with single quotes; no case text needs a literal '). */
static char *dq(const char *s)
{
    char *o = rs_strdup(s);
    assert_non_null(o);
    for (char *p = o; *p; p++)
        if (*p == '\'')
            *p = '"';
    return o;
}

static int encode(rs_str *body, rs_error *err, const char *service, const char *model, int stream,
                  const char *rendered_text)
{
    rs_service svc;
    cJSON *rendered = NULL;
    rs_encode_opts o = RS_ENCODE_OPTS_INIT;
    char *text = dq(rendered_text);
    o.stream = stream;
    assert_rs_ok(rs_json_parse(&rendered, text, strlen(text), "case", err), err);
    assert_rs_ok(rs_service_lookup(&svc, service, NULL, err), err);
    int rc = svc.dialect->encode(body, &svc, model, rendered, &o, err);
    cJSON_Delete(rendered);
    rs_free(text);
    return rc;
}

static void run_case(void **state)
{
    const ecase *c = *state;
    rs_str body = RS_STR_INIT;
    rs_error err = RS_ERROR_INIT;
    int rc = encode(&body, &err, c->service, c->model, c->stream, c->rendered);
    if (c->rc == 0) {
        if (rc != 0)
            fail_msg("%s: unexpected error %s: %s", c->name, rs_error_name(rc), err.message);
        const char *b = rs_str_cstr(&body);
        for (size_t i = 0; i < 8 && c->want[i]; i++) {
            char *w = dq(c->want[i]);
            if (!strstr(b, w))
                fail_msg("%s: body lacks\n  %s\nbody:\n  %s", c->name, w, b);
            rs_free(w);
        }
        for (size_t i = 0; i < 4 && c->not_want[i]; i++) {
            char *w = dq(c->not_want[i]);
            if (strstr(b, w))
                fail_msg("%s: body must not contain %s\nbody:\n  %s", c->name, w, b);
            rs_free(w);
        }
        cJSON *parsed = NULL;
        assert_rs_ok(rs_json_parse(&parsed, b, body.len, "body", &err), &err);
        cJSON_Delete(parsed);
    } else {
        if (rc != c->rc)
            fail_msg("%s: want %s, got %s (%s)", c->name, rs_error_name(c->rc), rs_error_name(rc),
                     err.message);
        for (size_t i = 0; i < 8 && c->want[i]; i++)
            if (!strstr(err.message, c->want[i]))
                fail_msg("%s: error lacks '%s': %s", c->name, c->want[i], err.message);
    }
    rs_str_free(&body);
}

/* Mistral's rewritten ids: 9 alphanumerics, the same on the call and on its result. */
static void mistral_ids_pair(void **state)
{
    (void)state;
    rs_str body = RS_STR_INIT;
    rs_error err = RS_ERROR_INIT;
    cJSON *b = NULL;
    assert_rs_ok(encode(&body, &err, "mistral", "m", 0, "{" TOOL_HISTORY "," WEATHER "}"), &err);
    assert_rs_ok(rs_json_parse(&b, body.ptr, body.len, "body", &err), &err);
    cJSON *msgs = cJSON_GetObjectItem(b, "messages");
    const char *call_id =
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "tool_calls"), 0),
            "id")
            ->valuestring;
    const char *res_id =
        cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 2), "tool_call_id")->valuestring;
    assert_int_equal(strlen(call_id), 9);
    assert_int_equal(
        strspn(call_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), 9);
    assert_string_equal(call_id, res_id);
    cJSON_Delete(b);
    rs_str_free(&body);
}

/* ---------- targets ---------- */

static void targets(void **state)
{
    (void)state;
    rs_target t;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_target_parse(&t, "openrouter/anthropic/claude-sonnet-4.5", &err), &err);
    assert_string_equal(t.provider, "openrouter");
    assert_string_equal(t.model, "anthropic/claude-sonnet-4.5");
    assert_rs_ok(rs_target_parse(&t, "ollama/llama3.2:1b", &err), &err);
    assert_string_equal(t.model, "llama3.2:1b");
    static const char *const bad[] = {"",           "openai",       "/gpt", "openai/",
                                      "OpenAI/gpt", "openai/gpt 4", "a b/c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rs_target_parse(&t, bad[i], &err), RS_EINVAL);
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[3] = '/';
    assert_int_equal(rs_target_parse(&t, big, &err), RS_EINVAL);
    assert_non_null(strstr(err.message, "longer than"));
}

/* ---------- services ---------- */

static void services_builtin(void **state)
{
    (void)state;
    rs_service s;
    rs_error err = RS_ERROR_INIT;
    unsetenv("GROQ_BASE_URL");
    assert_rs_ok(rs_service_lookup(&s, "groq", NULL, &err), &err);
    assert_string_equal(s.dialect->name, "openai");
    assert_string_equal(s.base_url, "https://api.groq.com/openai/v1");
    assert_string_equal(s.key_env, "GROQ_API_KEY");
    assert_true(s.quirks & RS_QUIRK_NO_DEVELOPER_ROLE);
    assert_rs_ok(rs_service_lookup(&s, "anthropic", NULL, &err), &err);
    assert_string_equal(s.dialect->name, "anthropic");
    assert_int_equal(rs_service_lookup(&s, "nosuch", NULL, &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "unknown provider 'nosuch'"));
    for (size_t i = 0; i < rs_service_builtin_count(); i++)
        assert_rs_ok(rs_service_lookup(&s, rs_service_builtin_name(i), NULL, &err), &err);
    assert_null(rs_service_builtin_name(rs_service_builtin_count()));
    assert_non_null(rs_dialect_find("ollama"));
    assert_null(rs_dialect_find("nosuch"));
    assert_int_equal(rs_quirk_from_name("tool_id_9"), RS_QUIRK_TOOL_ID_9);
    assert_string_equal(rs_quirk_name(RS_QUIRK_TOP_K), "top_k");
}

static void services_env_and_yaml(void **state)
{
    (void)state;
    rs_service s;
    rs_error err = RS_ERROR_INIT;
    cJSON *cfg = NULL;
    char *text = dq("{'providers':{'groq':{'base_url':'http://127.0.0.1:9/v1/','quirks':["
                    "'max_tokens_legacy']},'fireworks':{'base_url':'https://api.fireworks.ai/"
                    "inference/v1','key_env':'FIREWORKS_API_KEY'},'local':{'dialect':'ollama',"
                    "'base_url':'http://127.0.0.1:11434'}}}");
    assert_rs_ok(rs_json_parse(&cfg, text, strlen(text), "rosetta.yaml", &err), &err);
    unsetenv("GROQ_BASE_URL");
    assert_rs_ok(rs_service_lookup(&s, "groq", cfg, &err), &err);
    assert_string_equal(s.base_url, "http://127.0.0.1:9/v1");
    assert_int_equal(s.quirks, RS_QUIRK_MAX_TOKENS_LEGACY);
    setenv("GROQ_BASE_URL", "http://127.0.0.1:8/x", 1);
    assert_rs_ok(rs_service_lookup(&s, "groq", cfg, &err), &err);
    assert_string_equal(s.base_url, "http://127.0.0.1:8/x"); /* the environment wins */
    unsetenv("GROQ_BASE_URL");
    assert_rs_ok(rs_service_lookup(&s, "fireworks", cfg, &err), &err);
    assert_string_equal(s.dialect->name, "openai");
    assert_string_equal(s.key_env, "FIREWORKS_API_KEY");
    assert_rs_ok(rs_service_lookup(&s, "local", cfg, &err), &err);
    assert_string_equal(s.dialect->name, "ollama");
    setenv("OLLAMA_HOST", "127.0.0.1:11500", 1);
    assert_rs_ok(rs_service_lookup(&s, "ollama", NULL, &err), &err);
    assert_string_equal(s.base_url, "http://127.0.0.1:11500");
    unsetenv("OLLAMA_HOST");
    unsetenv("GEMINI_API_KEY");
    setenv("GOOGLE_API_KEY", "x", 1);
    assert_rs_ok(rs_service_lookup(&s, "gemini", NULL, &err), &err);
    assert_string_equal(s.key_env, "GOOGLE_API_KEY");
    unsetenv("GOOGLE_API_KEY");
    cJSON_Delete(cfg);
    rs_free(text);

    static const char *const bad[] = {
        "{'providers':{'x':{'key_env':'X'}}}",           /* new service without base_url */
        "{'providers':{'groq':{'quirks':['fast']}}}",    /* unknown quirk */
        "{'providers':{'groq':{'colour':'red'}}}",       /* unknown key */
        "{'providers':{'groq':{'base_url':'ftp://x'}}}", /* bad scheme */
        "{'providers':{'groq':{'dialect':'soap'}}}",     /* unknown dialect */
        "{'providers':['groq']}",                        /* not a mapping */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        text = dq(bad[i]);
        assert_rs_ok(rs_json_parse(&cfg, text, strlen(text), "rosetta.yaml", &err), &err);
        assert_int_equal(rs_service_lookup(&s, i == 0 ? "x" : "groq", cfg, &err), RS_ECONFIG);
        assert_non_null(strstr(err.message, "rosetta.yaml"));
        cJSON_Delete(cfg);
        rs_free(text);
    }
}

/* ---------- requests, keys, curl ---------- */

static void requests_and_keys(void **state)
{
    (void)state;
    rs_service s;
    rs_request req;
    rs_error err = RS_ERROR_INIT;
    rs_encode_opts o = RS_ENCODE_OPTS_INIT;
    cJSON *rendered = NULL;
    char *text = dq("{" USER_ONLY "}");
    assert_rs_ok(rs_json_parse(&rendered, text, strlen(text), "r", &err), &err);
    unsetenv("ANTHROPIC_BASE_URL");
    assert_rs_ok(rs_service_lookup(&s, "anthropic", NULL, &err), &err);

    /* --curl: the variable's name, never a value */
    setenv("ANTHROPIC_API_KEY", "sk-secret-123", 1);
    rs_request_init(&req);
    assert_rs_ok(rs_request_build(&req, &s, "claude", rendered, &o, 0, &err), &err);
    assert_string_equal(rs_str_cstr(&req.url), "https://api.anthropic.com/v1/messages");
    assert_int_equal(req.headers.len, 3);
    assert_string_equal(RS_VEC_AT(&req.headers, char *, 0), "x-api-key: $ANTHROPIC_API_KEY");
    assert_string_equal(RS_VEC_AT(&req.headers, char *, 1), "anthropic-version: 2023-06-01");
    rs_str curl = RS_STR_INIT;
    assert_rs_ok(rs_request_curl(&curl, &req, &err), &err);
    assert_non_null(strstr(curl.ptr, "-H \"x-api-key: $ANTHROPIC_API_KEY\""));
    assert_non_null(strstr(curl.ptr, "curl 'https://api.anthropic.com/v1/messages'"));
    assert_null(strstr(curl.ptr, "sk-secret"));
    rs_request_free(&req);

    /* sending: the value, in the header only */
    rs_request_init(&req);
    assert_rs_ok(rs_request_build(&req, &s, "claude", rendered, &o, 1, &err), &err);
    assert_string_equal(RS_VEC_AT(&req.headers, char *, 0), "x-api-key: sk-secret-123");
    assert_null(strstr(rs_str_cstr(&req.body), "sk-secret"));
    rs_request_free(&req);

    /* a missing key names the variable */
    unsetenv("ANTHROPIC_API_KEY");
    rs_request_init(&req);
    assert_int_equal(rs_request_build(&req, &s, "claude", rendered, &o, 1, &err), RS_ECONFIG);
    assert_non_null(strstr(err.message, "ANTHROPIC_API_KEY is not set"));
    rs_request_free(&req);

    /* a key with a line break is refused without quoting it */
    setenv("ANTHROPIC_API_KEY", "sk-evil\r\nX-Injected: 1", 1);
    rs_request_init(&req);
    assert_int_equal(rs_request_build(&req, &s, "claude", rendered, &o, 1, &err), RS_EINVAL);
    assert_null(strstr(err.message, "sk-evil"));
    rs_request_free(&req);
    unsetenv("ANTHROPIC_API_KEY");

    /* local services: no key header unless the variable is set */
    unsetenv("OLLAMA_API_KEY");
    unsetenv("OLLAMA_HOST");
    assert_rs_ok(rs_service_lookup(&s, "ollama", NULL, &err), &err);
    rs_request_init(&req);
    assert_rs_ok(rs_request_build(&req, &s, "llama3.2", rendered, &o, 1, &err), &err);
    assert_int_equal(req.headers.len, 1);
    assert_string_equal(rs_str_cstr(&req.url), "http://localhost:11434/api/chat");
    rs_request_free(&req);

    /* gemini's stream endpoint; quotes in the body are shell-escaped */
    assert_rs_ok(rs_service_lookup(&s, "gemini", NULL, &err), &err);
    cJSON_Delete(rendered);
    rs_free(text);
    text = dq("{'messages':[{'role':'user','content':[{'text':'it\\u0027s'}]}]}");
    assert_rs_ok(rs_json_parse(&rendered, text, strlen(text), "r", &err), &err);
    o.stream = 1;
    rs_request_init(&req);
    assert_rs_ok(rs_request_build(&req, &s, "models/gemini-2.5-flash", rendered, &o, 0, &err),
                 &err);
    assert_string_equal(rs_str_cstr(&req.url), "https://generativelanguage.googleapis.com/v1beta/"
                                               "models/gemini-2.5-flash:streamGenerateContent?"
                                               "alt=sse");
    assert_rs_ok(rs_request_curl(&curl, &req, &err), &err);
    assert_non_null(strstr(curl.ptr, "curl -N "));
    assert_non_null(strstr(curl.ptr, "it'\\''s"));
    rs_request_free(&req);
    rs_str_free(&curl);
    cJSON_Delete(rendered);
    rs_free(text);
}

/* ---------- allocation failures ---------- */

static void *hook_malloc(size_t n)
{
    return rs_malloc(n);
}

/* Every allocation of an encode may fail: each failure is RS_ENOMEM, nothing leaks (ASan). */
static void allocation_failures(void **state)
{
    (void)state;
    cJSON_Hooks hooks = {hook_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    static const char *const services[] = {
        "openai", "mistral", "openai-responses", "anthropic", "gemini", "ollama", "mock"};
    char *text = dq("{" TOOL_HISTORY "," WEATHER ",'config':{'temperature':0.5,'stopSequences':"
                    "'x','openai':{'user':'u'}},'output':{'schema':{'type':'object'}}}");
    for (size_t s = 0; s < sizeof services / sizeof services[0]; s++) {
        rs_service svc;
        rs_error err = RS_ERROR_INIT;
        cJSON *rendered = NULL;
        assert_rs_ok(rs_json_parse(&rendered, text, strlen(text), "r", &err), &err);
        assert_rs_ok(rs_service_lookup(&svc, services[s], NULL, &err), &err);
        int done = 0;
        for (long n = 0; !done && n < 10000; n++) {
            rs_str body = RS_STR_INIT;
            rs_encode_opts o = RS_ENCODE_OPTS_INIT;
            rs_alloc_fail_after(n);
            int rc = svc.dialect->encode(&body, &svc, "m", rendered, &o, &err);
            rs_alloc_fail_after(-1);
            if (rc == 0)
                done = 1;
            else if (rc != RS_ENOMEM &&
                     !(strcmp(services[s], "openai-responses") == 0 && rc == RS_EUNSUPPORTED))
                fail_msg("%s: allocation %ld failed with %s: %s", services[s], n, rs_error_name(rc),
                         err.message);
            rs_str_free(&body);
        }
        assert_true(done || strcmp(services[s], "openai-responses") == 0);
        cJSON_Delete(rendered);
    }
    rs_free(text);
    cJSON_InitHooks(NULL);
}

int main(void)
{
    static struct CMUnitTest tests[NCASES + 6];
    for (size_t i = 0; i < NCASES; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = run_case;
        tests[i].setup_func = NULL;
        tests[i].teardown_func = NULL;
        tests[i].initial_state = (void *)&cases[i];
    }
    const struct CMUnitTest more[] = {
        cmocka_unit_test(mistral_ids_pair),  cmocka_unit_test(targets),
        cmocka_unit_test(services_builtin),  cmocka_unit_test(services_env_and_yaml),
        cmocka_unit_test(requests_and_keys), cmocka_unit_test(allocation_failures),
    };
    for (size_t i = 0; i < 6; i++)
        tests[NCASES + i] = more[i];
    return _cmocka_run_group_tests("encode", tests, NCASES + 6, NULL, NULL);
}
